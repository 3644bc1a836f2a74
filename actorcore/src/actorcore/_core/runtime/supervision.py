"""The admin's actor processes: spawning them (from a spare process when one
waits), hearing them start, exit or fail, reaping them, telling parents, and
stopping the ones that will not exit at shutdown.

Apart from the admin's loop so that the life of a process reads in one
place; routing decides where messages go, this decides when an actor exists.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from typing import Any

from ..addresses import ActorAddress
from ..messages import ActorExitRequest, ChildActorExited
from ..sourceregistry import SourceRegistry
from ..sysrules import orphan
from . import procs, protocol, shmem, spare
from .bootdata import ActorBoot, AdminConfig
from .convhost import AdminConvention
from .manager import actor_main
from .protocol import CreateFailure
from .registry import EXITING, LIVE, PENDING, ActorRegistry, Entry
from .routing import Router
from .wire import dumps

_log = logging.getLogger("actorcore.admin")


class Supervisor:
    """Every actor process of one admin, and its spare."""

    def __init__(self, cfg: AdminConfig, transport: Any, registry: ActorRegistry,
                 router: Router, convention: AdminConvention, sources: SourceRegistry) -> None:
        self.cfg = cfg
        self.capabilities = cfg.capabilities  # the admin's, as they change
        self.ctx: Any = multiprocessing.get_context(cfg.start_method)  # typeshed: BaseContext has no Process
        self.transport = transport
        self.me: str = transport.address
        self.registry = registry
        self.router = router
        self.send_msg = router.send_msg
        self.convention = convention
        self.sources = sources
        self.sentinels: dict[Any, Entry] = {}
        #: what waitables() returns, until the sentinels or the spare change:
        #: the admin's loop asks on every turn, and with hundreds of actors
        #: rebuilding (and comparing) it cost more than the turn's work
        self._waitables: tuple[Any, ...] | None = None
        self.use_spare = spare.wanted(cfg.start_method, transport)
        self.spare: spare.Spare | None = None
        self.spare_due = self.use_spare

    # -- processes -------------------------------------------------------------
    def spawn(self, entry: Entry, zip_bytes: bytes | None) -> None:
        boot = ActorBoot(
            id=entry.id,
            admin=self.me,
            admin_pid=os.getpid(),
            start_method=self.cfg.start_method,
            parent=entry.parent,
            spec=entry.spec,
            requirements=entry.requirements,
            globalName=entry.globalName,
            sourceHash=entry.sourceHash,
            sourceZip=zip_bytes,
            capabilities=dict(self.capabilities),
            log_threshold=self.cfg.log_threshold,
            clients=getattr(self.transport, "client_prefix", None),
        )
        link = self.transport.child_link(entry.id)
        ready, self.spare = self.spare, None
        self._waitables = None
        if ready is not None and ready.hand_over(link, boot):
            proc = ready.proc
        else:
            proc = self.ctx.Process(
                target=actor_main, args=(link, boot), name=f"actorcore-actor {entry.spec}", daemon=False
            )
        try:
            if proc.pid is None:
                proc.start()
                procs.untracked(proc)
        except Exception as exc:
            self.transport.forget_child(entry.id)
            self.init_failed(entry, CreateFailure.SPAWN, f"could not start a process: {exc}")
            self.registry.bury(entry)
            return
        entry.process = proc
        entry.pid = proc.pid
        self.sentinels[proc.sentinel] = entry
        self._waitables = None
        self.transport.child_started(entry.id)
        if self.use_spare and self.spare is None:
            self.spare_due = True

    def waitables(self) -> tuple[Any, ...]:
        """What the admin's loop waits on besides its transport."""
        if self._waitables is None:
            extra = () if self.spare is None else (self.spare.sentinel,)
            self._waitables = (*self.sentinels, *extra)
        return self._waitables

    def sentinel_fds(self) -> list[int]:
        """The admin's ends of its actors' sentinel pipes (runtime/forkclose.py)."""
        return [s for s in self.sentinels if isinstance(s, int)]

    def reap(self, ready: list[Any]) -> None:
        for sentinel in ready:
            entry = self.sentinels.pop(sentinel, None)
            self._waitables = None
            if entry is not None:
                self.process_ended(entry)
            elif self.spare is not None and sentinel == self.spare.sentinel:
                # it died waiting (killed from outside?): no more spares, creates fork as usual
                _log.warning("the spare actor process died while waiting; spares turned off")
                self.discard_spare()
                self.use_spare = False

    def new_spare(self) -> None:
        """Fork the next spare: the admin's loop calls this once the last one
        has been handed its actor, while that actor starts (spare.py)."""
        self.spare_due = False
        try:
            self.spare = spare.Spare(self.ctx, actor_main)
            self._waitables = None
        except Exception as exc:
            _log.warning("no spare actor process (%s); actors start by forking on demand", exc)
            self.use_spare = False

    def discard_spare(self) -> None:
        if self.spare is not None:
            self.spare.discard()
            self.spare = None
            self._waitables = None

    def force_stop(self) -> None:
        """Actors that did not exit in time: SIGTERM, then SIGKILL (our own PIDs only)."""
        stubborn = [e for e in self.sentinels.values() if e.pid]
        for entry in stubborn:
            try:
                os.kill(entry.pid, signal.SIGTERM)  # type: ignore[arg-type]
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 2.0
        for entry in stubborn:
            if entry.process is not None:
                entry.process.join(max(0.0, deadline - time.monotonic()))
        for entry in stubborn:
            if entry.process is not None and entry.process.is_alive():
                entry.process.kill()
                entry.process.join(5.0)

    def kill_all(self) -> None:
        """The admin crashed: no actor process outlives it."""
        for entry in list(self.sentinels.values()):
            if entry.process is not None and entry.process.is_alive():
                entry.process.kill()

    # -- what actor processes say ----------------------------------------------
    def on_started(self, msg: protocol.ActorStarted, sender: Any) -> None:
        entry = self.registry.entries.get(msg.actor)
        if entry is None or entry.state != PENDING:
            return
        entry.state = LIVE
        entry.pid = msg.pid
        held, entry.held = entry.held, []
        for env in held:
            self.transport.send(entry.id, env)
        self._answer_waiter(entry)
        if entry.origin is not None:
            self.convention.send_admin(entry.origin, protocol.Placed(
                place_key=entry.place_key or "", actor=entry.id, where=self.me))

    def on_init_failed(self, msg: protocol.ActorInitFailed, sender: Any) -> None:
        entry = self.registry.entries.get(msg.actor)
        if entry is None:
            return
        self.init_failed(entry, msg.kind, msg.error)
        entry.state = EXITING  # the process is on its way out; reaped by its sentinel

    def init_failed(self, entry: Entry, kind: CreateFailure, text: str) -> None:
        _log.error("actor %s (%s) failed to start: %s", entry.id, entry.spec, text.strip())
        entry.failed_create = True
        entry.error = (kind, text)
        held, entry.held = entry.held, []
        self.router.bounce_held(entry.parent, held)
        self._answer_waiter(entry, kind, text)
        self.notify_parent(entry)

    def _answer_waiter(self, entry: Entry, kind: CreateFailure | None = None, text: str = "") -> None:
        """Tell the program waiting for ``entry``'s create, if one is, that it
        runs, or (``kind``) why it never will."""
        if entry.waiter is not None:
            req_id, reply_to = entry.waiter
            entry.waiter = None
            self.send_msg(reply_to, protocol.Created(
                req_id=req_id, actor=entry.id, error_kind=kind, error=text))

    def notify_parent(self, entry: Entry) -> None:
        if entry.notified:
            return
        entry.notified = True
        if entry.origin is not None:  # placed here by another system, which tells the parent
            kind, text = entry.error
            self.convention.send_admin(entry.origin, protocol.RemoteChildExited(
                place_key=entry.place_key, actor=entry.id, failed=entry.failed_create,
                kind=kind, error=text))
            return
        parent = self.registry.entries.get(entry.parent) if entry.parent is not None else None
        if parent is not None and parent.state in (PENDING, LIVE, EXITING):
            if entry.failed_create:
                entry.awaiting_ack = True
                self.send_msg(parent.id, protocol.ChildFailed(child=entry.id))
            self.send_msg(parent.id, ChildActorExited(ActorAddress(entry.id)))

    def on_exiting(self, msg: protocol.ActorExiting, sender: Any) -> None:
        entry = self.registry.entries.get(msg.actor)
        if entry is None:
            return
        entry.clean_exit = True
        if entry.state == LIVE:
            # the actor reads on until this comes: what we forwarded before it is not lost
            self.transport.send(msg.actor, (msg.actor, self.me, dumps(protocol.ExitNoted())))
        entry.state = EXITING
        if entry.globalName is not None:
            self.convention.names.released(entry)  # as in one system: the name is free once its actor exits
        if msg.orphan_children:
            orphan(map(self.registry.entries.get, entry.children))
            entry.children.clear()

    def process_ended(self, entry: Entry) -> None:
        proc = entry.process
        if proc is not None:
            proc.join(1.0)
        for env in self.transport.final_from(entry.id):
            self.router.route(env)  # what it said last (ActorExiting, replies) comes first
        for env in self.transport.forget_child(entry.id):
            self.router.dead_letter(env)
        # after the dead letters above, which claimed the files they name: what
        # is left for (or claimed by) the dead process has no reader any more
        space = shmem.joined_or_none(self.me)
        if space is not None:
            space.sweep(pid=entry.pid, target=entry.id)
        if entry.state == PENDING:
            code = proc.exitcode if proc is not None else None
            self.init_failed(entry, CreateFailure.INIT, f"the actor process died while starting (exit code {code})")
        elif not entry.clean_exit and not entry.failed_create:
            code = proc.exitcode if proc is not None else None
            _log.warning("actor %s (%s) died abruptly (exit code %s)", entry.id, entry.spec, code)
            for child in orphan(map(self.registry.entries.get, entry.children)):
                self.send_msg(child.id, ActorExitRequest())
            entry.children.clear()
            if entry.parent is None:
                self.router.orphan_died(entry.id)
        self.notify_parent(entry)
        self.router.forget(entry.id)
        self.sources.forget(ActorAddress(entry.id))
        self.convention.forget_actor(entry.id)
        self.registry.bury(entry)

    def on_child_failed_ack(self, msg: protocol.ChildFailedAck, sender: Any) -> None:
        gone = self.registry.dead.get(msg.child) or self.registry.entries.get(msg.child)
        if gone is not None:
            gone.awaiting_ack = False
