"""The admin: one per multiprocess system. Owns the registry of actors, global
names, dead letters, capabilities, sources, the logger and status; spawns and
supervises every actor process. Speaks to the world only through its transport.

This module holds the admin's loop and its one table of request handlers; the
work is done by the parts it wires together: :mod:`.routing` (where envelopes
go, dead letters), :mod:`.supervision` (actor processes), :mod:`.creates`
(creates), :mod:`.placement` (creates placed on other systems) and the
convention (:mod:`.conventions`, or :class:`.convhost.NoConvention`).
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import time
import traceback
from typing import Any

from .. import keys, plugins
from ..addresses import ActorAddress
from ..errors import ActorSystemFailure
from ..messages import (
    ActorExitRequest,
    ActorSystemMessage,
    Thespian_SystemStatus,
    ValidatedSource,
)
from ..sourceregistry import SourceRegistry
from ..sysrules import check_global_name, system_requests, update_capability
from ..transport import optional
from . import conventions, forkclose, logfwd, procs, protocol, shmem, titles
from .bootdata import AdminConfig
from .convhost import AdminConvention, Handler, NoConvention
from .creates import Creator
from .placement import Placement
from .protocol import AdminFailure, CreateFailure, SourceOp
from .registry import LIVE, PENDING, ActorRegistry
from .routing import Router
from .supervision import Supervisor
from .wire import dumps, loads

_log = logging.getLogger("actorcore.admin")
_CHECK = 1.0
#: internal errors in a row while receiving after which the admin gives up
#: (it crashes: its actors are killed and its creator hears of it)
_FAULTS_IN_A_ROW = 50
_FAULT_PAUSE = 0.02  # seconds between such attempts: a log line, not a spin
EXIT_GRACE = 5.0  # seconds actors get to exit at shutdown before SIGTERM, then SIGKILL


def _text(env: Any, i: int) -> str:
    """Field ``i`` of an envelope, for a log line, whatever the envelope is."""
    try:
        return str(env[i])
    except Exception:
        return "?"


class Admin:
    """The admin loop and its request handlers; the host of its convention
    (:class:`.convhost.ConventionHost`)."""

    def __init__(self, transport: Any, cfg: AdminConfig) -> None:
        self.transport = transport
        self.me: str = transport.address
        self.address = ActorAddress(self.me)
        self.cfg = cfg
        self.capabilities = cfg.capabilities
        self.client_pid = cfg.client_pid
        self.registry = ActorRegistry()
        self.shutting_down = False
        self.shutdown_waiters: list[tuple[int, Any]] = []
        self.shutdown_deadline = 0.0
        self.termed = False
        self.running = True
        self.started = time.time()
        self.started_mono = time.monotonic()
        # with conventions (even of one system) names go through the convention's keeper
        self.convention: AdminConvention = (
            conventions.Convention(self, transport) if conventions.enabled(transport)
            else NoConvention(self))
        self.registry.unnamed = self.convention.names.released
        self.router = Router(self.me, transport, self.registry, self.convention, self._own,
                             cfg.base_name)
        self.sources = SourceRegistry(self.router.send_msg, self.capabilities)
        self.supervisor = Supervisor(cfg, transport, self.registry, self.router, self.convention,
                                     self.sources)
        self.placement = Placement(self.me, self.registry, self.router, self.supervisor,
                                   self.convention, self.sources)
        self.creator = Creator(self.me, self.capabilities, transport, self.registry, self.router,
                               self.supervisor, self.placement, self.convention, self.sources,
                               again=self.create)
        # what the convention calls (convhost.ConventionHost), besides create()
        self.send_msg = self.router.send_msg
        self.dead_letter = self.router.dead_letter
        self.remote_system_gone = self.placement.system_gone
        self.create_here = self.creator.create_here
        self.create_failed = self.creator.failed
        self.source_pending = self.sources.is_pending
        sup, place = self.supervisor, self.placement
        self.handlers: dict[type, Handler] = {
            protocol.LogRecordMsg: self._on_log,
            protocol.CreateActor: self.create,
            protocol.ActorStarted: sup.on_started,
            protocol.ActorInitFailed: sup.on_init_failed,
            protocol.ActorExiting: sup.on_exiting,
            protocol.ChildFailedAck: sup.on_child_failed_ack,
            protocol.DeadLetter: self.router.on_dead_letter,
            protocol.SetDeadLetterHandler: self.router.on_dead_letter_handler,
            protocol.UpdateCapability: self._on_capability,
            protocol.SourceRequest: self._on_source,
            **system_requests(self._status, self.send_msg, self._on_validated),
            protocol.Shutdown: self._on_shutdown,
            protocol.Attach: self._on_attach,
            protocol.SystemShutdownRequest: self._on_system_shutdown,
            protocol.Placed: place.on_placed,
            protocol.RemoteChildExited: place.on_remote_child_exited,
            **self.convention.handlers(),
        }

    # -- loop ----------------------------------------------------------------
    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hasattr(signal, "SIGUSR1"):
            signal.signal(signal.SIGUSR1, self._on_usr1)
        self.convention.start()
        check = min(_CHECK, self.convention.next_due())
        next_check = time.monotonic() + check
        receive = self.transport.receive
        route = self.router.route
        sup = self.supervisor
        faults = 0  # internal errors in a row while waiting for and reading input
        while self.running:
            try:
                envs, ready = receive(check, sup.waitables())
                faults = 0
            except Exception:
                # a fault of ours, or of the transport's, must not end the system;
                # but one that every wait meets is not going away: crash, as before
                faults += 1
                if faults >= _FAULTS_IN_A_ROW:
                    raise
                _log.error("admin: internal error while waiting for messages (%d in a row):\n%s",
                           faults, traceback.format_exc())
                time.sleep(_FAULT_PAUSE)
                continue
            for env in envs:
                try:
                    route(env)
                except Exception:  # that message is lost, and said so; the rest are routed
                    _log.error("admin: internal error while routing a message from %s to %s "
                               "(it is lost):\n%s", _text(env, 1), _text(env, 0), traceback.format_exc())
            if ready:
                sup.reap(ready)
            if sup.spare_due and not self.shutting_down:
                sup.new_spare()
            now = time.monotonic()
            if now >= next_check or self.shutting_down:
                next_check = now + check
                self._housekeeping(now)
                self.convention.tick(now)

    def _housekeeping(self, now: float) -> None:
        creator_gone = not self.cfg.shared and os.getppid() != self.client_pid
        if not self.shutting_down and (creator_gone or self.termed):
            _log.warning("the process that created this system is gone; shutting down")
            self._begin_shutdown()
        self.sources.expire(now)
        self.placement.expire(now)
        if self.shutting_down:
            if not self.supervisor.sentinels:
                self._finish_shutdown()
            elif now > self.shutdown_deadline:
                self.supervisor.force_stop()
                self.shutdown_deadline = time.monotonic() + 1.0

    def _on_term(self, signum: int, frame: Any) -> None:
        self.termed = True

    def _on_usr1(self, signum: int, frame: Any) -> None:
        plugins.internal_log(logging.WARNING, f"admin status: {self._status()!r}")

    # -- messages to the admin itself -----------------------------------------
    def _own(self, env: Any) -> None:
        _target, sender, data = env
        try:
            msg = loads(data)
        except Exception as exc:
            _log.error("admin could not read a message from %s: %s", sender, exc)
            return
        handler = self.handlers.get(type(msg))
        if handler is None:
            what = repr(msg) if isinstance(msg, (ActorSystemMessage, protocol.RuntimeMessage)) else "a user message"
            _log.debug("admin ignored %s from %s", what, sender)
            return
        try:
            handler(msg, sender)
        except Exception:  # a malformed request (say, from a peer system) must not end the admin
            _log.error("admin could not handle %s from %s:\n%s", type(msg).__name__, sender,
                       traceback.format_exc())

    def create(self, req: protocol.CreateActor, sender: Any) -> None:
        """A create, as received or back from the convention's name keeper."""
        if self.shutting_down:  # to a system that forwarded it here, this one has left
            forwarded = req.origin is not None and req.origin != self.me
            self.creator.failed(req, CreateFailure.GONE if forwarded else CreateFailure.SHUTDOWN,
                                "the actor system is shutting down")
            return
        if req.globalName is not None and req.origin is None:  # placed here: the origin has the name
            try:
                check_global_name(req.globalName)  # clients and actors check before sending; a peer may not
            except TypeError as exc:
                self.creator.failed(req, CreateFailure.SPEC, str(exc))
                return
            self.convention.names.create(req, sender)  # comes back to create_here
            return
        self.creator.create_here(req, sender)

    def _on_log(self, msg: protocol.LogRecordMsg, sender: Any) -> None:
        try:
            logfwd.emit_in_admin(msg.record)
        except Exception:
            plugins.internal_log(logging.ERROR, f"log record could not be emitted: {msg.record!r}")
        if not msg.from_member and msg.record.get("levelno", 0) >= logging.WARNING:
            self.convention.log_to_leader(msg.record)

    # -- capabilities and sources ----------------------------------------------
    def _on_capability(self, msg: protocol.UpdateCapability, sender: Any) -> None:
        error = self._update_capability(msg.name, msg.value)
        if msg.reply_to is not None:
            self.send_msg(msg.reply_to, protocol.Reply(req_id=msg.req_id, error=error))
        elif error:
            _log.warning(error)

    def _update_capability(self, name: Any, value: Any) -> str:
        """The change, as on every base; what was wrong with it, or ""."""
        running = (e for e in self.registry.live() if e.cls is not None)  # not a create awaiting a verdict
        try:
            unfit = update_capability(self.capabilities, name, value, running)
        except (TypeError, ActorSystemFailure) as exc:
            return str(exc)
        if unfit is not None:
            for entry in unfit:
                self.send_msg(entry.id, ActorExitRequest())
            self.convention.capabilities_changed()
        return ""

    def _on_source(self, msg: protocol.SourceRequest, sender: Any) -> None:
        addr = ActorAddress(msg.sender)
        error, value = "", None
        if msg.op == SourceOp.AUTHORITY:
            self.sources.set_authority(addr)
        elif msg.op == SourceOp.LOAD and msg.data is not None:
            value = self.sources.load(msg.data, msg.info)
        elif msg.op == SourceOp.UNLOAD and msg.sourceHash is not None:
            self.sources.unload(msg.sourceHash)
        elif msg.op in (SourceOp.WATCH, SourceOp.UNWATCH):
            self.sources.watch(addr, msg.op == SourceOp.WATCH)
        else:
            error = f"bad source request {str(msg.op)!r}"
        if msg.reply_to is not None:
            self.send_msg(msg.reply_to, protocol.Reply(req_id=msg.req_id, error=error, value=value))

    def _on_validated(self, msg: ValidatedSource, sender: Any) -> None:
        self.sources.on_validated(msg, ActorAddress(sender))

    # -- attach and shutdown ---------------------------------------------------
    def _on_attach(self, msg: protocol.Attach, sender: Any) -> None:
        ready = protocol.AdminReady(capabilities=dict(self.capabilities), pid=os.getpid())
        self.send_msg(msg.reply_to, protocol.Reply(req_id=msg.req_id, value=ready))

    def _on_shutdown(self, msg: protocol.Shutdown, sender: Any) -> None:
        self.shutdown_waiters.append((msg.req_id, msg.reply_to))
        self._begin_shutdown()

    def _on_system_shutdown(self, msg: protocol.SystemShutdownRequest, sender: Any) -> None:
        self._begin_shutdown()

    def _begin_shutdown(self) -> None:
        if self.shutting_down:
            return
        self.shutting_down = True
        self.supervisor.discard_spare()
        self.shutdown_deadline = time.monotonic() + EXIT_GRACE
        # Our top-level actors, and those we host for another system (their parent
        # lives there): each takes its own children along. The convention is left
        # only once they are gone (_finish_shutdown), so that children on other
        # members get their parents' exit requests and their exits come back.
        for entry in list(self.registry.entries.values()):
            if (entry.parent is None or entry.origin is not None) and entry.state in (PENDING, LIVE):
                self.send_msg(entry.id, ActorExitRequest())

    def _finish_shutdown(self) -> None:
        self.convention.leave()
        for req_id, reply_to in self.shutdown_waiters:
            self.send_msg(reply_to, protocol.Reply(req_id=req_id))
        self.running = False

    # -- status --------------------------------------------------------------
    def _status(self) -> Thespian_SystemStatus:
        entries = self.registry.entries
        leader, attendees, joined = self.convention.status()
        handler = self.router.dead_letter_handler
        return Thespian_SystemStatus(
            adminAddress=self.address,
            conventionLeader=leader,
            conventionAttendees=attendees,
            conventionRegisterTime=joined,
            capabilities=dict(self.capabilities),
            deadLetterHandler=ActorAddress(handler) if handler else None,
            globalActors={n: ActorAddress(e.id) for n, e in self.registry.names.items()},
            inShutdown=self.shutting_down,
            sourceAuthority=self.sources.authority,
            loadedSources=self.sources.status(),
            childActors=[ActorAddress(e.id) for e in entries.values() if e.parent is None],
            pendingMessages=sum(len(e.held) for e in entries.values()),
            baseName=self.cfg.base_name,
            pid=os.getpid(),
            uptime=round(time.monotonic() - self.started_mono, 3),
            actorTable=self.registry.table(),
            conventionMembers=self.convention.peer_table(),
            miscKeyVals={
                "actors": len(entries),
                "pids": {str(e.id): e.pid for e in entries.values()},
                "started": self.started,
                "pid": os.getpid(),
                # what the transport counts (UDP: datagrams dropped, resent, refused)
                "transport": dict(getattr(self.transport, "stats", None) or {}),
            },
        )


def _configure_logging(cfg: AdminConfig) -> protocol.AdminFailed | None:
    """Set up this process's logger from ``cfg.logDefs``; what to tell the
    creating process when they are refused (None: done)."""
    try:
        plugins.hook().actorcore_configure_logging(
            base_name=cfg.base_name, logDefs=cfg.logDefs, where="logger"
        )
    except Exception as exc:
        return protocol.AdminFailed(
            error=f"logDefs rejected by logging.config.dictConfig: {type(exc).__name__}: {exc}",
            kind=AdminFailure.LOGDEFS,
        )
    return None


def admin_main(link: Any, cfg: AdminConfig) -> None:
    """Entry point of the admin process."""
    keys.scrub_environment()
    if not cfg.shared:
        try:
            os.setpgid(0, 0)  # our own group: the creator can stop every process of the system
        except OSError:
            pass
        procs.die_with_parent()
    transport = link.open()
    titles.set_title(titles.admin_title(cfg.base_name, transport))
    client = cfg.client
    failed = _configure_logging(cfg)
    if failed is not None:
        if client is not None:
            transport.send(client, (client, transport.address, dumps(failed)))
        transport.close()
        return
    sysid = transport.address
    if optional(transport, "shared_memory") and isinstance(sysid, str):
        shmem.create(sysid)  # before any actor or client can look for it
    admin = Admin(transport, cfg)
    forkclose.in_forked_children(transport, admin.supervisor.sentinel_fds)
    # Every actor process is forked from here. What exists now (modules,
    # classes, the admin's tables) lives as long as the admin: moved out of
    # the collector's reach, a child's collections do not write to those
    # pages, and each fork copies fewer of them (issue 12: -30 page faults
    # per create). Only once: freezing later would keep cyclic garbage.
    gc.freeze()
    if client is not None:
        ready = protocol.AdminReady(capabilities=admin.capabilities, pid=os.getpid())
        transport.send(client, (client, admin.me, dumps(ready)))
    try:
        admin.run()
    except BaseException:
        plugins.internal_log(logging.CRITICAL, f"admin crashed: {traceback.format_exc()}")
        admin.supervisor.kill_all()
        raise
    finally:
        admin.supervisor.discard_spare()
        transport.close()
        if isinstance(sysid, str):
            shmem.remove(sysid)


def detached_admin_main(link: Any, cfg: AdminConfig, report: Any) -> None:
    """Start the admin of a shared (UDP/TCP) system so that it outlives its creator:
    check logDefs here (where a failure can still be reported), then fork the
    admin into its own session and return at once."""
    keys.scrub_environment()
    failed = _configure_logging(cfg)
    if failed is not None:
        report.send(failed)
        return
    pid = os.fork()
    if pid:
        report.send(pid)  # the creator kills its group if attaching to it fails
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
