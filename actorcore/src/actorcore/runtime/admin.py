"""The admin: one per multiprocess system. Owns the registry of actors, global
names, dead letters, capabilities, sources, the logger and status; spawns and
supervises every actor process. Speaks to the world only through its transport.
"""
from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import signal
import time
import traceback
from typing import Any

import attrs

from .. import keys, plugins
from ..addresses import ActorAddress
from ..capabilities import READ_ONLY, actor_accepts
from ..creation import class_spec, resolve_actor_class
from ..errors import InvalidActorSpecification
from ..messages import (
    ActorExitRequest,
    ActorSystemMessage,
    ChildActorExited,
    DeadEnvelope,
    PoisonMessage,
    Thespian_StatusReq,
    Thespian_SystemStatus,
    ValidatedSource,
)
from ..sourceregistry import SourceRegistry
from ..transport import system_of
from . import conventions, limits, logfwd, mainclasses, procs, protocol, spare
from .manager import actor_main
from .registry import EXITING, LIVE, PENDING, REMOTE, ActorRegistry, Entry
from .wire import UnpicklableMessage, dumps, loads

_log = logging.getLogger("actorcore.admin")
_CHECK = 1.0
GONE = "gone"  # RemoteChildExited.kind: its host left the convention
EXIT_GRACE = 5.0  # seconds actors get to exit at shutdown before SIGTERM, then SIGKILL


class Admin:
    """The admin loop and its request handlers."""

    def __init__(self, transport: Any, cfg: dict[str, Any]) -> None:
        self.transport = transport
        self.me = transport.address
        self.address = ActorAddress(self.me)
        self.cfg = cfg
        self.capabilities: dict[str, Any] = cfg["capabilities"]
        self.client_pid: int = cfg["client_pid"]
        self.ctx = multiprocessing.get_context(cfg["start_method"])
        self.registry = ActorRegistry()
        self.sentinels: dict[Any, Entry] = {}
        self.dead_letter_handler: Any = None
        self._foreign_warned: set[str] = set()  # systems whose addresses were refused
        self.sources = SourceRegistry(self._send_msg, self.capabilities)
        self.seq = itertools.count(1)
        self.shutting_down = False
        self.shutdown_waiters: list[tuple[int, Any]] = []
        self.shutdown_deadline = 0.0
        self.termed = False
        self.running = True
        self.started = time.time()
        self.convention = conventions.Convention(self) if conventions.enabled(transport) else None
        # with conventions (even of one system) names go through the convention's keeper
        self.names = self.convention.names if self.convention is not None else None
        if self.names is not None:
            self.registry.unnamed = self.names.released
        self.placements: dict[str, tuple[protocol.CreateActor, Entry | None, str]] = {}
        # creates we passed on for another system: key -> (origin, target, its id, forget after)
        self.relayed: dict[str, tuple[str, str, Any, float]] = {}
        self.use_spare = spare.wanted(cfg["start_method"], transport)
        self.spare: spare.Spare | None = None
        self.spare_due = self.use_spare

    # -- loop ----------------------------------------------------------------
    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hasattr(signal, "SIGUSR1"):
            signal.signal(signal.SIGUSR1, self._on_usr1)
        check = _CHECK
        if self.convention is not None:
            self.convention.start()
            check = min(check, self.convention.next_due())
        next_check = time.monotonic() + check
        receive = self.transport.receive
        route = self._route
        while self.running:
            waitables = list(self.sentinels)
            if self.spare is not None:
                waitables.append(self.spare.sentinel)
            envs, ready = receive(check, waitables)
            for env in envs:
                route(env)
            for sentinel in ready:
                entry = self.sentinels.pop(sentinel, None)
                if entry is not None:
                    self._process_ended(entry)
                elif self.spare is not None and sentinel == self.spare.sentinel:
                    # it died waiting (killed from outside?): no more spares, creates fork as usual
                    _log.warning("the spare actor process died while waiting; spares turned off")
                    self.spare.discard()
                    self.spare = None
                    self.use_spare = False
            if self.spare_due and not self.shutting_down:
                # after the last one's actor started: a fork must not slow an actor's start
                self.spare_due = False
                self._new_spare()
            now = time.monotonic()
            if now >= next_check or self.shutting_down:
                next_check = now + check
                self._housekeeping(now)
                if self.convention is not None:
                    self.convention.tick(now)

    def _housekeeping(self, now: float) -> None:
        creator_gone = not self.cfg.get("shared") and os.getppid() != self.client_pid
        if not self.shutting_down and (creator_gone or self.termed):
            _log.warning("the process that created this system is gone; shutting down")
            self._begin_shutdown()
        self.sources.expire(now)
        for key, relay in list(self.relayed.items()):
            if now > relay[3]:  # answered long ago, or its origin gave up
                del self.relayed[key]
        if self.shutting_down:
            if not self.sentinels:
                self._finish_shutdown()
            elif now > self.shutdown_deadline:
                self._force_stop()

    def _on_term(self, signum: int, frame: Any) -> None:
        self.termed = True

    def _on_usr1(self, signum: int, frame: Any) -> None:
        plugins.internal_log(logging.WARNING, f"admin status: {self._status()!r}")

    # -- routing -------------------------------------------------------------
    def _route(self, env: Any) -> None:
        target = env[0]
        if target == self.me:
            self._own(env)
            return
        entry = self.registry.entries.get(target)
        if entry is not None:
            if entry.state == LIVE:
                self.transport.send(target, env)
            elif entry.state == PENDING:
                entry.held.append(env)
            elif entry.state == REMOTE:
                self._to_system(entry.remote, env)  # type: ignore[arg-type]
            else:
                self._dead_letter(env)
        elif self.transport.is_client(target):
            self.transport.send(target, env)
        elif target == "" and self.convention is not None:
            self.convention.on_event(env)  # a peer admin came, went, or could not be reached
        else:
            self._elsewhere(env)

    def _elsewhere(self, env: Any) -> None:
        """An envelope for no local actor: another system's, or a dead letter."""
        target = env[0]
        sysid = system_of(target) if isinstance(target, str) else ""
        if sysid and sysid != self.me:
            if self.convention is not None and self.convention.send(sysid, env):
                return
            self._foreign(sysid, target)
            # A member that left: its actors' mail is dead letters, as in
            # Thespian. A system never in a convention with us never was reachable.
            known = self.convention is not None and self.convention.knows(sysid)
            if not known and self._refuse_foreign(env, sysid):
                return
        self._dead_letter(env)

    def _refuse_foreign(self, env: Any, sysid: str) -> bool:
        """A message for a system this one cannot reach goes back to its
        sender as PoisonMessage, saying why, so that an ask fails at once
        instead of waiting out its timeout; True if it went back."""
        target, sender, data = env
        if not (sender in self.registry.entries or self.transport.is_client(sender)):
            return False  # nobody here to tell: a dead letter
        try:
            msg = loads(data)
        except Exception:
            return False
        if isinstance(msg, (protocol.RuntimeMessage, PoisonMessage, DeadEnvelope, ChildActorExited)):
            return False  # never bounce what is itself a notice (no ping-pong of notices)
        self._send_msg(sender, PoisonMessage(msg, (
            f"not delivered: {target} is an actor of system {sysid}, which this system "
            "cannot reach (it is not this one and not in a convention with it)")))
        return True

    def _foreign(self, sysid: str, target: str) -> None:
        """Say why a message to another system's actor goes nowhere: once per
        system, at warning level, so the loss is never silent."""
        if sysid in self._foreign_warned:
            return
        self._foreign_warned.add(sysid)
        _log.warning(
            "messages to %s and other addresses of actor system %s cannot be delivered (they go "
            "back to their senders as PoisonMessage, or to dead letters after a convention): "
            "that system is not this one and not (or no longer) in a convention with it (%s "
            "systems with separate admins exchange messages only as members of one convention, "
            "which needs a base with an Admin Port; simpleSystemBase systems of one process "
            "reach each other directly)",
            target, sysid, self.cfg["base_name"],
        )

    def _to_system(self, sysid: str, env: Any) -> None:
        assert self.convention is not None
        if not self.convention.send(sysid, env):
            self._dead_letter(env)

    def _send_msg(self, target: ActorAddress | Any, msg: Any) -> None:
        details = target.addressDetails if isinstance(target, ActorAddress) else target
        try:
            data = dumps(msg)
        except UnpicklableMessage as exc:
            _log.error("admin cannot send %r to %s: %s", msg, details, exc)
            return
        env = (details, self.me, data)
        entry = self.registry.entries.get(details)
        if entry is not None:
            if entry.state == LIVE:
                self.transport.send(details, env)
            elif entry.state == PENDING:
                entry.held.append(env)
            elif entry.state == REMOTE:
                self._to_system(entry.remote, env)  # type: ignore[arg-type]
            return  # an exiting actor takes nothing more from the system
        if self.transport.is_client(details):
            self.transport.send(details, env)
        elif self.convention is not None and isinstance(details, str):
            sysid = system_of(details)
            if sysid and sysid != self.me:
                self.convention.send(sysid, env)

    def _dead_letter(self, env: Any) -> None:
        target, sender, data = env
        try:
            msg = loads(data)
        except Exception as exc:
            _log.warning("undeliverable message to %s could not be read: %s", target, exc)
            return
        if isinstance(msg, protocol.RuntimeMessage):
            return
        gone = self.registry.dead.get(target) or self.registry.entries.get(target)
        if gone is not None and gone.awaiting_ack and sender == gone.parent:
            self._send_msg(sender, PoisonMessage(msg, "Child Aborted"))
            return
        if isinstance(msg, (DeadEnvelope, ChildActorExited)):
            _log.debug("undeliverable %r to %s dropped", msg, target)
            return
        handler = self.dead_letter_handler
        if handler is None or handler not in self.registry.entries:
            _log.debug("dead letter to %s discarded (no handler): %r", target, msg)
            return
        self._send_msg(handler, DeadEnvelope(ActorAddress(target), msg))

    # -- messages to the admin itself -----------------------------------------
    def _own(self, env: Any) -> None:
        _target, sender, data = env
        try:
            msg = loads(data)
        except Exception as exc:
            _log.error("admin could not read a message from %s: %s", sender, exc)
            return
        handler = self._handlers.get(type(msg))
        if handler is not None:
            try:
                handler(self, msg, sender)
            except Exception:  # a malformed request (say, from a peer system) must not end the admin
                _log.error("admin could not handle %s from %s:\n%s", type(msg).__name__, sender,
                           traceback.format_exc())
        elif isinstance(msg, Thespian_StatusReq):
            self._send_msg(sender, self._status())
        elif isinstance(msg, ValidatedSource):
            self.sources.on_validated(msg, ActorAddress(sender))
        elif isinstance(msg, (ActorSystemMessage, protocol.RuntimeMessage)):
            _log.debug("admin ignored %r from %s", msg, sender)
        else:
            _log.debug("admin ignored a user message from %s", sender)

    def _on_log(self, msg: protocol.LogRecordMsg, sender: Any) -> None:
        try:
            logfwd.emit_in_admin(msg.record)
        except Exception:
            plugins.internal_log(logging.ERROR, f"log record could not be emitted: {msg.record!r}")
        conv = self.convention
        if conv is not None and not msg.from_member and msg.record.get("levelno", 0) >= logging.WARNING:
            leader = conv.leader()  # docs/api.md §7.2: warnings and worse also go to the leader's log
            if leader is not None:
                record = dict(msg.record, actorSystem=self.me)
                conv.send_admin(leader.sysid, protocol.LogRecordMsg(record, True))

    def _on_create(self, req: protocol.CreateActor, sender: Any) -> None:
        if self.shutting_down:  # to a system that forwarded it here, this one has left
            forwarded = req.origin is not None and req.origin != self.me
            self._create_failed(req, GONE if forwarded else "shutdown", "the actor system is shutting down")
            return
        if req.globalName is not None and req.origin is None:  # placed here: the origin has the name
            if self.names is not None:
                self.names.create(req, sender)  # asks the convention's keeper first; comes back to _create
                return
            existing = self.registry.named(req.globalName)
            if existing is not None:
                self._send_msg(req.reply_to, protocol.Created(req.req_id, existing.id))
                return
        self._create(req, sender)

    def _create(self, req: protocol.CreateActor, sender: Any) -> None:
        if req.sourceHash is not None and self.sources.is_pending(req.sourceHash):
            self._create_after_verdict(req, sender, req.sourceHash)
            return
        zip_bytes = None
        if req.sourceHash is not None and req.source is not None and req.sourceHash not in self.sources.loaded:
            self._install_forwarded_source(req, sender)
        try:
            if req.sourceHash is not None:
                source = self.sources.loaded.get(req.sourceHash)
                if source is None:
                    self._create_failed(req, "source", f"no loaded source {req.sourceHash!r}")
                    return
                zip_bytes = self.sources.zips.get(req.sourceHash)
                cls = resolve_actor_class(source.load_class(req.spec))
            else:
                cls = resolve_actor_class(req.spec)
        except InvalidActorSpecification as exc:
            self._create_failed(req, "spec", str(exc))
            return
        except ImportError as exc:
            self._create_failed(req, "import", f"{type(exc).__name__}: {exc}")
            return
        except Exception as exc:
            self._create_failed(req, "spec", f"{type(exc).__name__}: {exc}")
            return
        if not actor_accepts(cls, self.capabilities, req.requirements):
            # a script's own class exists only in the systems forked from that script
            in_main = req.spec.startswith(mainclasses.MAIN + ".")
            if self.convention is not None and not in_main and self._forward_create(req, cls):
                return
            why = f"{class_spec(cls)} does not accept this system's capabilities"
            if in_main and self.convention is not None:
                why += " (defined in __main__, so never placed on another system of the convention)"
            self._create_failed(req, "capability", why)
            return
        new_id = req.new_id if req.new_id is not None else f"{self.me}/{next(self.seq)}"
        entry = Entry(
            id=new_id,
            parent=None if req.globalName is not None else req.parent,
            spec=req.spec,
            cls=cls,
            requirements=req.requirements,
            globalName=req.globalName,
            sourceHash=req.sourceHash,
            origin=req.origin if req.origin != self.me else None,
            place_key=req.place_key,
        )
        if req.reply_to is not None:
            if self.transport.is_client(req.reply_to):
                entry.waiter = (req.req_id, req.reply_to)  # answered once it runs
            else:
                self._send_msg(req.reply_to, protocol.Created(req.req_id, new_id))
        self.registry.add(entry)
        self._spawn(entry, zip_bytes)

    def _forward_create(self, req: protocol.CreateActor, cls: Any) -> bool:
        """Place a create this system rejects on another system of the convention."""
        assert self.convention is not None
        choice = self.convention.place(req, cls)
        if choice is None:
            return False
        target, forwarded = choice
        if req.sourceHash is not None and forwarded.source is None:
            forwarded.source = self.sources.zip_for(req.sourceHash)  # docs/api.md §8.5: it travels along
        entry = None
        if req.origin is None:  # we are the origin: remember who waits, and hold its messages
            if req.new_id is not None or req.globalName is not None:
                entry = Entry(
                    id=req.new_id if req.new_id is not None else forwarded.place_key,
                    parent=None if req.globalName is not None else req.parent,
                    spec=req.spec, cls=cls, requirements=req.requirements,
                    globalName=req.globalName, sourceHash=req.sourceHash,
                    remote=target, place_key=forwarded.place_key,
                )
                self.registry.add(entry)
            self.placements[forwarded.place_key] = (req, entry, target)  # type: ignore[index]
        elif forwarded.place_key is not None:  # the origin hears from the host, or from us if it goes
            self.relayed[forwarded.place_key] = (
                req.origin, target, req.new_id, time.monotonic() + limits.CREATE_LIMIT)
        _log.info("createActor(%s) does not fit here; forwarded to %s", req.spec, target)
        if not self.convention.send_admin(target, forwarded):
            self.placements.pop(forwarded.place_key, None)  # type: ignore[arg-type]
            if entry is not None:
                self.registry.bury(entry)
            return False
        return True

    def _install_forwarded_source(self, req: protocol.CreateActor, sender: Any) -> None:
        """A forwarded create brought its source: install it without asking our
        authority, if AllowRemoteActorSources lets the forwarding system (§8.6)."""
        conv = self.convention
        peer = conv.peers.get(system_of(str(sender))) if conv is not None else None
        if req.sourceHash is None:
            return
        try:
            zip_bytes, info = req.source
            self.sources.install_remote(req.sourceHash, zip_bytes, info,
                                        origin_is_leader=peer is not None and peer.leads_me)
        except Exception as exc:
            _log.warning("source %s from %s not installed: %s", req.sourceHash, sender, exc)

    def _on_placed(self, msg: protocol.Placed, sender: Any) -> None:
        """A system we forwarded a create to runs the actor now."""
        found = self.placements.pop(msg.place_key, None)
        if found is None:
            return
        req, entry, _ = found
        if entry is not None:
            if entry.id != msg.actor:  # named top-level create: the host chose the id
                self.registry.rekey(entry, msg.actor)
            entry.state = REMOTE
            entry.remote = msg.where
            if entry.globalName is not None and self.names is not None:
                self.names.placed(entry)
            held, entry.held = entry.held, []
            for env in held:
                self._to_system(msg.where, env)
        if req.reply_to is not None:
            self._send_msg(req.reply_to, protocol.Created(req.req_id, msg.actor))

    def _on_remote_child_exited(self, msg: protocol.RemoteChildExited, sender: Any) -> None:
        """An actor another system hosts for us ended (or never started)."""
        found = self.placements.pop(msg.place_key, None) if msg.place_key else None
        entry = self.registry.entries.get(msg.actor)
        if msg.kind == GONE:
            if found is None:  # it had started: it went with its host
                msg = attrs.evolve(msg, failed=False)
            else:  # the only system that could host it went away first
                msg = attrs.evolve(msg, kind="capability")
        if found is not None:
            req, pending, _ = found
            entry = pending
            if msg.failed and entry is None and req.reply_to is not None:
                self._send_msg(req.reply_to, protocol.Created(req.req_id, None, msg.kind, msg.error))
                return
            if msg.failed and entry is not None and req.reply_to is not None:
                entry.waiter = (req.req_id, req.reply_to)
        if entry is None or entry.state not in (PENDING, REMOTE):
            return
        if msg.failed:
            self._init_failed(entry, msg.kind or "init", msg.error)
        else:
            entry.clean_exit = True
            self._notify_parent(entry)
        self.registry.bury(entry)

    def remote_system_gone(self, sysid: str) -> None:
        """A convention peer is gone: actors it hosted for us are reported exited,
        creates sent there that it never answered fail (as no compatible system),
        and the systems we passed creates on for hear the same."""
        why = f"the system {sysid} that could host it left the convention"
        for key, (req, _entry, target) in list(self.placements.items()):
            if target == sysid:
                self._on_remote_child_exited(protocol.RemoteChildExited(
                    key, req.new_id, True, GONE, why), sysid)
        for key, (origin, target, new_id, _until) in list(self.relayed.items()):
            if target == sysid:
                del self.relayed[key]
                assert self.convention is not None
                self.convention.send_admin(origin, protocol.RemoteChildExited(key, new_id, True, GONE, why))
        for entry in [e for e in self.registry.entries.values() if e.state == REMOTE and e.remote == sysid]:
            _log.warning("actor %s (%s) was on %s, which is gone", entry.id, entry.spec, sysid)
            self._notify_parent(entry)
            self.registry.bury(entry)

    def _create_after_verdict(self, req: protocol.CreateActor, sender: Any, digest: str) -> None:
        """A create naming a source still being validated waits for the verdict
        (docs/api.md §8.3 step 5); messages to an actor-created child are held meanwhile."""
        placeholder = None
        if req.new_id is not None:
            placeholder = Entry(
                id=req.new_id, parent=req.parent, spec=req.spec, cls=None,
                requirements=req.requirements, globalName=None, sourceHash=req.sourceHash,
            )
            self.registry.add(placeholder)

        def settled() -> None:
            held: list[Any] = []
            if placeholder is not None:
                held, placeholder.held = placeholder.held, []
                self.registry.entries.pop(placeholder.id, None)
                parent = self.registry.entries.get(placeholder.parent)
                if parent is not None and placeholder.id in parent.children:
                    parent.children.remove(placeholder.id)
            self._on_create(req, sender)
            entry = self.registry.entries.get(req.new_id) if req.new_id is not None else None
            if entry is not None:
                entry.held[:0] = held  # before anything sent since, in order
            else:
                self._bounce_held(req.parent, held)

        self.sources.when_settled(digest, settled)

    def _create_failed(self, req: protocol.CreateActor, kind: str, text: str) -> None:
        _log.error("createActor(%s) failed: %s", req.spec, text)
        if req.origin is not None and req.origin != self.me and self.convention is not None:
            self.convention.send_admin(req.origin, protocol.RemoteChildExited(
                req.place_key, req.new_id, True, kind, text))
            return
        if req.reply_to is not None:
            self._send_msg(req.reply_to, protocol.Created(req.req_id, req.new_id, kind, text))
        elif req.parent is not None and req.new_id is not None:
            gone = Entry(
                id=req.new_id, parent=req.parent, spec=req.spec, cls=None,
                requirements=None, globalName=None, sourceHash=None, failed_create=True,
            )
            self.registry.dead[req.new_id] = gone
            self._notify_parent(gone)

    def _spawn(self, entry: Entry, zip_bytes: bytes | None) -> None:
        boot = {
            "id": entry.id,
            "admin": self.me,
            "admin_pid": os.getpid(),
            "start_method": self.cfg["start_method"],
            "parent": entry.parent,
            "spec": entry.spec,
            "requirements": entry.requirements,
            "globalName": entry.globalName,
            "sourceHash": entry.sourceHash,
            "sourceZip": zip_bytes,
            "capabilities": dict(self.capabilities),
            "log_threshold": self.cfg.get("log_threshold", 0),
        }
        link = self.transport.child_link(entry.id)
        ready, self.spare = self.spare, None
        if ready is not None and ready.hand_over(link, boot):
            proc = ready.proc
        else:
            proc = self.ctx.Process(
                target=actor_main, args=(link, boot), name=f"actorcore-actor {entry.spec}", daemon=False
            )
        try:
            if proc.pid is None:
                proc.start()
        except Exception as exc:
            self.transport.forget_child(entry.id)
            self._init_failed(entry, "spawn", f"could not start a process: {exc}")
            self.registry.bury(entry)
            return
        entry.process = proc
        entry.pid = proc.pid
        self.sentinels[proc.sentinel] = entry
        self.transport.child_started(entry.id)

    def _new_spare(self) -> None:
        try:
            self.spare = spare.Spare(self.ctx, actor_main)
        except Exception as exc:
            _log.warning("no spare actor process (%s); actors start by forking on demand", exc)
            self.use_spare = False

    def _on_started(self, msg: protocol.ActorStarted, sender: Any) -> None:
        entry = self.registry.entries.get(msg.actor)
        if entry is None or entry.state != PENDING:
            return
        entry.state = LIVE
        entry.pid = msg.pid
        if self.use_spare and self.spare is None:
            self.spare_due = True
        held, entry.held = entry.held, []
        for env in held:
            self.transport.send(entry.id, env)
        if entry.waiter is not None:
            req_id, reply_to = entry.waiter
            entry.waiter = None
            self._send_msg(reply_to, protocol.Created(req_id, entry.id))
        if entry.origin is not None and self.convention is not None:
            self.convention.send_admin(entry.origin, protocol.Placed(entry.place_key or "", entry.id, self.me))

    def _on_init_failed(self, msg: protocol.ActorInitFailed, sender: Any) -> None:
        entry = self.registry.entries.get(msg.actor)
        if entry is None:
            return
        self._init_failed(entry, msg.kind, msg.error)
        entry.state = EXITING  # the process is on its way out; reaped by its sentinel

    def _init_failed(self, entry: Entry, kind: str, text: str) -> None:
        _log.error("actor %s (%s) failed to start: %s", entry.id, entry.spec, text.strip())
        entry.failed_create = True
        entry.error = (kind, text)
        held, entry.held = entry.held, []
        self._bounce_held(entry.parent, held)
        if entry.waiter is not None:
            req_id, reply_to = entry.waiter
            entry.waiter = None
            self._send_msg(reply_to, protocol.Created(req_id, entry.id, kind, text))
        self._notify_parent(entry)

    def _bounce_held(self, parent: Any, held: list[Any]) -> None:
        """Messages held for a child that never started: the parent's come back
        to it as PoisonMessage, others are dead letters (docs/api.md §2.4)."""
        for env in held:
            if parent is not None and env[1] == parent:
                try:
                    self._send_msg(env[1], PoisonMessage(loads(env[2]), "Child Aborted"))
                except Exception:
                    pass
            else:
                self._dead_letter(env)

    def _notify_parent(self, entry: Entry) -> None:
        if entry.notified:
            return
        entry.notified = True
        if entry.origin is not None and self.convention is not None:  # placed here by another system
            kind, text = entry.error
            self.convention.send_admin(entry.origin, protocol.RemoteChildExited(
                entry.place_key, entry.id, entry.failed_create, kind, text))
            return
        parent = self.registry.entries.get(entry.parent) if entry.parent is not None else None
        if parent is not None and parent.state in (PENDING, LIVE, EXITING):
            if entry.failed_create:
                entry.awaiting_ack = True
                self._send_msg(parent.id, protocol.ChildFailed(entry.id))
            self._send_msg(parent.id, ChildActorExited(ActorAddress(entry.id)))

    def _on_exiting(self, msg: protocol.ActorExiting, sender: Any) -> None:
        entry = self.registry.entries.get(msg.actor)
        if entry is None:
            return
        entry.clean_exit = True
        if entry.state == LIVE:
            # the actor reads on until this comes: what we forwarded before it is not lost
            self.transport.send(msg.actor, (msg.actor, self.me, dumps(protocol.ExitNoted())))
        entry.state = EXITING
        if entry.globalName is not None and self.names is not None:
            self.names.released(entry)  # as in one system: the name is free once its actor exits
        if msg.orphan_children:
            for child_id in list(entry.children):
                child = self.registry.entries.get(child_id)
                if child is not None:
                    child.parent = None  # orphans: their exit goes unreported
            entry.children.clear()

    def _process_ended(self, entry: Entry) -> None:
        proc = entry.process
        if proc is not None:
            proc.join(1.0)
        for env in self.transport.final_from(entry.id):
            self._route(env)  # what it said last (ActorExiting, replies) comes first
        for env in self.transport.forget_child(entry.id):
            self._dead_letter(env)
        if entry.state == PENDING:
            code = proc.exitcode if proc is not None else None
            self._init_failed(entry, "init", f"the actor process died while starting (exit code {code})")
        elif not entry.clean_exit and not entry.failed_create:
            code = proc.exitcode if proc is not None else None
            _log.warning("actor %s (%s) died abruptly (exit code %s)", entry.id, entry.spec, code)
            for child_id in list(entry.children):
                child = self.registry.entries.get(child_id)
                if child is not None:
                    child.parent = None
                    self._send_msg(child_id, ActorExitRequest())
            entry.children.clear()
            if entry.parent is None and self.dead_letter_handler in self.registry.entries:
                addr = ActorAddress(entry.id)
                self._send_msg(self.dead_letter_handler, DeadEnvelope(addr, ChildActorExited(addr)))
        self._notify_parent(entry)
        if self.dead_letter_handler == entry.id:
            self.dead_letter_handler = None
        self.sources.forget(ActorAddress(entry.id))
        if self.convention is not None:
            self.convention.forget_actor(entry.id)
        self.registry.bury(entry)

    def _on_child_failed_ack(self, msg: protocol.ChildFailedAck, sender: Any) -> None:
        gone = self.registry.dead.get(msg.child) or self.registry.entries.get(msg.child)
        if gone is not None:
            gone.awaiting_ack = False

    def _on_dead_letter(self, msg: protocol.DeadLetter, sender: Any) -> None:
        self._dead_letter((msg.target, sender, msg.data))

    def _on_dead_letter_handler(self, msg: protocol.SetDeadLetterHandler, sender: Any) -> None:
        if msg.start:
            self.dead_letter_handler = msg.actor
        elif self.dead_letter_handler == msg.actor:
            self.dead_letter_handler = None

    def _on_capability(self, msg: protocol.UpdateCapability, sender: Any) -> None:
        error = self._update_capability(msg.name, msg.value)
        if msg.reply_to is not None:
            self._send_msg(msg.reply_to, protocol.Reply(msg.req_id, error))
        elif error:
            _log.warning(error)

    def _update_capability(self, name: Any, value: Any) -> str:
        if not isinstance(name, str):
            return f"capability name must be a string, not {type(name).__name__}"
        if name in READ_ONLY:
            return f"capability {name!r} is read-only; updateCapability refused"
        caps = self.capabilities
        if value is None:
            if name not in caps:
                return ""
            del caps[name]
        else:
            try:
                if name in caps and caps[name] == value:
                    return ""
            except Exception:
                pass
            caps[name] = value
        for entry in self.registry.live():
            if entry.cls is not None and not actor_accepts(entry.cls, caps, entry.requirements):
                self._send_msg(entry.id, ActorExitRequest())
        if self.convention is not None:
            self.convention.capabilities_changed()
        return ""

    def _on_source(self, msg: protocol.SourceRequest, sender: Any) -> None:
        addr = ActorAddress(msg.sender)
        error, value = "", None
        if msg.op == "authority":
            self.sources.set_authority(addr)
        elif msg.op == "load" and msg.data is not None:
            value = self.sources.load(msg.data, msg.info)
        elif msg.op == "unload" and msg.sourceHash is not None:
            self.sources.unload(msg.sourceHash)
        elif msg.op in ("watch", "unwatch"):
            self.sources.watch(addr, msg.op == "watch")
        else:
            error = f"bad source request {msg.op!r}"
        if msg.reply_to is not None:
            self._send_msg(msg.reply_to, protocol.Reply(msg.req_id, error, value))

    # -- conventions -----------------------------------------------------------
    def _on_convention(self, msg: Any, sender: Any) -> None:
        conv = self.convention
        if conv is None:
            _log.info("%s ignored: this base has no conventions", type(msg).__name__)
            return
        if isinstance(msg, protocol.ConventionRegister):
            conv.on_register(msg, sender)
        elif isinstance(msg, protocol.ConventionWelcome):
            conv.on_welcome(msg, sender)
        elif isinstance(msg, protocol.ConventionLeave):
            conv.on_leave(msg, sender)
        elif isinstance(msg, protocol.ConventionInvite):
            conv.on_invite(msg, sender)
        elif isinstance(msg, protocol.RegistrationWatch):
            conv.watch(msg.actor, msg.start)
        elif isinstance(msg, protocol.PreRegister):
            conv.pre_register(msg.where, msg.capabilities)
        elif isinstance(msg, protocol.DeRegister):
            conv.de_register(msg.remote)
        elif isinstance(msg, protocol.NameMessage):
            conv.names.on_message(msg, sender)

    # -- shutdown ------------------------------------------------------------
    def _on_attach(self, msg: protocol.Attach, sender: Any) -> None:
        ready = protocol.AdminReady(dict(self.capabilities), os.getpid())
        self._send_msg(msg.reply_to, protocol.Reply(msg.req_id, "", ready))

    def _on_shutdown(self, msg: protocol.Shutdown, sender: Any) -> None:
        self.shutdown_waiters.append((msg.req_id, msg.reply_to))
        self._begin_shutdown()

    def _on_system_shutdown(self, msg: protocol.SystemShutdownRequest, sender: Any) -> None:
        self._begin_shutdown()

    def _begin_shutdown(self) -> None:
        if self.shutting_down:
            return
        self.shutting_down = True
        if self.spare is not None:
            self.spare.discard()
            self.spare = None
        self.shutdown_deadline = time.monotonic() + EXIT_GRACE
        # Our top-level actors, and those we host for another system (their parent
        # lives there): each takes its own children along. The convention is left
        # only once they are gone (_finish_shutdown), so that children on other
        # members get their parents' exit requests and their exits come back.
        for entry in list(self.registry.entries.values()):
            if (entry.parent is None or entry.origin is not None) and entry.state in (PENDING, LIVE):
                self._send_msg(entry.id, ActorExitRequest())

    def _force_stop(self) -> None:
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
        self.shutdown_deadline = time.monotonic() + 1.0

    def _finish_shutdown(self) -> None:
        if self.convention is not None:
            self.convention.leave()
        for req_id, reply_to in self.shutdown_waiters:
            self._send_msg(reply_to, protocol.Reply(req_id))
        self.running = False

    # -- status --------------------------------------------------------------
    def _status(self) -> Thespian_SystemStatus:
        entries = self.registry.entries
        leader, attendees, joined = (
            self.convention.status() if self.convention is not None else (None, [], None)
        )
        return Thespian_SystemStatus(
            adminAddress=self.address,
            conventionLeader=leader,
            conventionAttendees=attendees,
            conventionRegisterTime=joined,
            capabilities=dict(self.capabilities),
            deadLetterHandler=ActorAddress(self.dead_letter_handler) if self.dead_letter_handler else None,
            globalActors={n: ActorAddress(e.id) for n, e in self.registry.names.items()},
            inShutdown=self.shutting_down,
            sourceAuthority=self.sources.authority,
            loadedSources=self.sources.status(),
            childActors=[ActorAddress(e.id) for e in entries.values() if e.parent is None],
            pendingMessages=sum(len(e.held) for e in entries.values()),
            miscKeyVals={
                "actors": len(entries),
                "pids": {str(e.id): e.pid for e in entries.values()},
                "started": self.started,
                "pid": os.getpid(),
                # what the transport counts (UDP: datagrams dropped, resent, refused)
                "transport": dict(getattr(self.transport, "stats", None) or {}),
            },
        )

    _handlers: dict[type, Any] = {
        protocol.LogRecordMsg: _on_log,
        protocol.CreateActor: _on_create,
        protocol.ActorStarted: _on_started,
        protocol.ActorInitFailed: _on_init_failed,
        protocol.ActorExiting: _on_exiting,
        protocol.DeadLetter: _on_dead_letter,
        protocol.ChildFailedAck: _on_child_failed_ack,
        protocol.SetDeadLetterHandler: _on_dead_letter_handler,
        protocol.UpdateCapability: _on_capability,
        protocol.SourceRequest: _on_source,
        protocol.Shutdown: _on_shutdown,
        protocol.Attach: _on_attach,
        protocol.SystemShutdownRequest: _on_system_shutdown,
        protocol.Placed: _on_placed,
        protocol.RemoteChildExited: _on_remote_child_exited,
        **dict.fromkeys((
            protocol.ConventionRegister, protocol.ConventionWelcome, protocol.ConventionLeave,
            protocol.ConventionInvite, protocol.RegistrationWatch, protocol.PreRegister,
            protocol.DeRegister, protocol.NameAsk, protocol.NameAnswer, protocol.NameBound,
            protocol.NameReleased,
        ), _on_convention),
    }

    # the convention code calls these
    send_msg = _send_msg
    dead_letter = _dead_letter
    on_create = _on_create
    create_here = _create
    create_failed = _create_failed


def admin_main(link: Any, cfg: dict[str, Any]) -> None:
    """Entry point of the admin process."""
    keys.scrub_environment()
    if not cfg.get("shared"):
        try:
            os.setpgid(0, 0)  # our own group: the creator can stop every process of the system
        except OSError:
            pass
        procs.die_with_parent()
    transport = link.open()
    client = cfg["client"]
    try:
        plugins.hook().actorcore_configure_logging(
            base_name=cfg["base_name"], logDefs=cfg["logDefs"], where="logger"
        )
    except Exception as exc:
        if client is not None:
            transport.send(client, (client, transport.address, dumps(protocol.AdminFailed(
                f"logDefs rejected by logging.config.dictConfig: {type(exc).__name__}: {exc}",
                "logDefs",
            ))))
        transport.close()
        return
    admin = Admin(transport, cfg)
    if client is not None:
        ready = protocol.AdminReady(admin.capabilities, os.getpid())
        transport.send(client, (client, admin.me, dumps(ready)))
    try:
        admin.run()
    except BaseException:
        plugins.internal_log(logging.CRITICAL, f"admin crashed: {traceback.format_exc()}")
        for entry in list(admin.sentinels.values()):
            if entry.process is not None and entry.process.is_alive():
                entry.process.kill()
        raise
    finally:
        if admin.spare is not None:
            admin.spare.discard()
        transport.close()


def detached_admin_main(link: Any, cfg: dict[str, Any], report: Any) -> None:
    """Start the admin of a shared (UDP/TCP) system so that it outlives its creator:
    check logDefs here (where a failure can still be reported), then fork the
    admin into its own session and return at once."""
    keys.scrub_environment()
    try:
        plugins.hook().actorcore_configure_logging(
            base_name=cfg["base_name"], logDefs=cfg["logDefs"], where="logger"
        )
    except Exception as exc:
        report.send(f"logDefs rejected by logging.config.dictConfig: {type(exc).__name__}: {exc}")
        return
    pid = os.fork()
    if pid:
        report.send(("", pid))  # the creator kills its group if attaching to it fails
        return
    try:
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # a daemon holds no terminal or pipe of its creator open
            os.dup2(devnull, fd)
        admin_main(link, cfg)
    except BaseException:
        plugins.internal_log(logging.CRITICAL, f"admin crashed: {traceback.format_exc()}")
    finally:
        os._exit(0)
