"""MultiprocSystem: a multiprocess system as seen from the process that created it.

Implements :class:`actorcore._core.base.SystemBase` for every multiprocess base;
the base supplies only its :class:`BaseConfig` and (through the
``actorcore_make_transport`` hook) its transport.
"""
from __future__ import annotations

import atexit
import itertools
import os
import signal
import threading
import time
import weakref
from collections import deque
from typing import Any, Callable, Mapping

import attrs

from ... import logsetup
from ..addresses import ActorAddress
from ..base import NOTHING
from ..capabilities import common_capabilities
from ..creation import check_class_name, importable_spec, resolve_actor_class
from ..errors import (
    ActorSystemFailure,
    ActorSystemRequestTimeout,
    ActorSystemStartupError,
    InvalidActorSourceHash,
    InvalidActorSpecification,
    NoCompatibleSystemForActor,
)
from ..messages import PoisonMessage
from ..transport import ClientTransport, optional
from . import limits, logfwd, mainclasses, procs, protocol, shmem, startup
from .admin import admin_main
from .bootdata import AdminConfig
from .protocol import AdminFailure, CreateFailure, SourceOp
from .wire import UnpicklableMessage, discard, dumps, loads, oversize, sharing

_PID_CHECK = 0.25  # seconds between checks of the admin's pid


@attrs.frozen
class BaseConfig:
    """What distinguishes one multiprocess base from another, besides its transport."""

    name: str
    system_name: str
    system_version: int
    watch_supported: bool
    start_methods: tuple[str, ...]
    defaults: Mapping[str, Any] = attrs.field(factory=dict)
    #: UDP/TCP: the admin outlives its creator and other programs attach to it.
    shared: bool = False


class ClientEndpoint:
    """An external endpoint in the creating process; its messages are demultiplexed here."""

    __slots__ = ("address", "inbox", "_system", "ready")

    def __init__(self, system: MultiprocSystem, ident: Any) -> None:
        self._system = system
        self.address = ActorAddress(ident)
        self.inbox: deque[Any] = deque()
        #: while watched (an ask_async waits on it): called, from any thread, per message
        self.ready: Callable[[], None] | None = None

    def close(self) -> None:
        self._system._endpoints.pop(self.address.addressDetails, None)


_BEST_FOR_BASE = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
    "root": {"handlers": ["stdout"], "level": "DEBUG"},
}


class MultiprocSystem:
    """A running multiprocess system (implements actorcore._core.base.SystemBase)."""

    def __init__(
        self, config: BaseConfig, capabilities: Any = None, logDefs: Any = None,
        transientUnique: bool = False,
    ) -> None:
        self.config = config
        self.baseName = config.name
        self.capabilities = common_capabilities(
            capabilities,
            system_name=config.system_name,
            system_version=config.system_version,
            watch_supported=config.watch_supported,
            defaults=config.defaults,
        )
        logsetup.check(logDefs)
        self._default_logs = logDefs is None or logDefs == "BestForBase"
        if logDefs == "BestForBase":
            logDefs = _BEST_FOR_BASE
        self.is_shutdown = False
        self._endpoints: dict[str, ClientEndpoint] = {}
        self._ids = itertools.count(1)
        self._replies: dict[Any, Any] = {}  # by request id, or by type for AdminReady
        self._cond = threading.Condition(threading.RLock())
        self._pumping = False
        self._watched: set[ClientEndpoint] = set()  # endpoints ask_async waits on
        self._watcher: threading.Thread | None = None
        # Threads send at once (each with its private() context) while one
        # of them pumps; a transport's send is not meant for that (a TCP
        # connection's peer check is one poll object), so sends take turns.
        self._send_lock = threading.Lock()
        self._shutdown_lock = threading.Lock()
        ctx = procs.context(self.capabilities, config.start_methods)
        transport = startup.make_transport(config.name, self.capabilities, capabilities)
        self.transport: ClientTransport = transport
        #: the same transport, when the admin is shared (found on the Admin Port)
        self._shared = startup.shared(transport, config.name) if config.shared else None
        self._size_limit = optional(transport, "limit")
        cfg = AdminConfig(
            base_name=config.name,
            capabilities=dict(self.capabilities),
            logDefs=logDefs,
            log_threshold=logfwd.threshold(logDefs),
            client_pid=os.getpid(),
            start_method=ctx.get_start_method(),
            shared=config.shared,
        )
        self._admin: Any = None
        self._admin_pid = 0
        self._next_pid_check = 0.0
        self._admin_dead = False
        self._start_method = cfg.start_method
        self._started_admin = False
        main_classes = mainclasses.snapshot() if self._start_method == "fork" else None
        if config.shared:
            ready = self._start_shared(ctx, cfg)
        else:
            ready = self._start_local(ctx, cfg)
        if self._started_admin and main_classes is not None:
            mainclasses.remember(transport.admin_address, main_classes)  # what its fork copied
        self.capabilities = dict(ready.capabilities)
        self._admin_pid = ready.pid
        self.systemAddress = ActorAddress(transport.admin_address)
        self._sharing = sharing(transport, transport.admin_address, transport.client_prefix,
                                transport.client_prefix)
        _live.add(self)

    def _start_local(self, ctx: Any, cfg: AdminConfig) -> protocol.AdminReady:
        """Queue base: the admin is our child and dies with us."""
        transport = self.transport
        self._control = transport.client_prefix + "0"  # where the admin's answers come
        self._admin = ctx.Process(
            target=admin_main, args=(transport.admin_link(), attrs.evolve(cfg, client=self._control)),
            name=f"actorcore-admin {self.baseName}", daemon=False,
        )
        self._admin.start()
        self._started_admin = True
        self._admin_pid = self._admin.pid
        ready = self._wait_reply_kind((protocol.AdminReady, protocol.AdminFailed), limits.STARTUP_LIMIT)
        if not isinstance(ready, protocol.AdminReady):
            self._kill_all()
            transport.close()
            if isinstance(ready, protocol.AdminFailed) and ready.kind == AdminFailure.LOGDEFS:
                raise ValueError(ready.error)
            why = ready.error if ready is not None else "no answer within the startup limit"
            raise ActorSystemStartupError(f"{self.baseName} admin did not start: {why}")
        return ready

    def _start_shared(self, ctx: Any, cfg: AdminConfig) -> protocol.AdminReady:
        """UDP/TCP: attach to the admin on the Admin Port, or start one that
        outlives this process (``capabilities``/``logDefs`` apply only then)."""
        transport = self._shared
        assert transport is not None

        def attach() -> protocol.AdminReady:
            self._control = transport.client_prefix + "0"
            reply = self._request(
                protocol.Attach(req_id=self._req_id(), reply_to=self._control), limits.STARTUP_LIMIT,
                "attach",
            )
            return reply.value

        ready, self._started_admin = startup.attach_or_start(
            self.baseName, transport, ctx, cfg, self._default_logs, attach
        )
        return ready

    # -- plumbing --------------------------------------------------------------
    def _admin_gone(self, thorough: bool = True) -> bool:
        if self._admin_dead:  # once gone, gone
            return True
        admin = self._admin
        if admin is None:
            shared = self._shared
            if shared is not None and shared.admin_lost:
                return True
            if not thorough or not self._admin_pid:
                return False
        # Our own admin's sentinel (waited on by every read) or the link's EOF
        # tells first; the pid (a waitpid, or a /proc read for a shared admin)
        # is a fallback, checked at most every _PID_CHECK seconds so that
        # receives (ask_async looks after every wake-up) do not pay for it.
        now = time.monotonic()
        if now < self._next_pid_check:
            return False
        self._next_pid_check = now + _PID_CHECK
        if admin is None:
            self._admin_dead = not procs.pid_alive(self._admin_pid)
        else:
            self._admin_dead = admin.exitcode is not None
        return self._admin_dead

    def _waitables(self) -> list[Any]:
        return [] if self._admin is None else [self._admin.sentinel]

    def _check(self, look_now: bool = False) -> None:
        """Raise if the system is shut down or its admin gone; ``look_now``:
        something failed, so the admin's pid is looked at whenever last checked."""
        if self.is_shutdown:
            raise ActorSystemFailure("this ActorSystem has been shut down")
        if look_now:
            self._next_pid_check = 0.0
        if self._admin_gone():
            how = "" if self._admin is None else f" (exit code {self._admin.exitcode})"
            raise ActorSystemFailure(
                f"the admin process (pid {self._admin_pid}) of this {self.baseName} system is "
                f"gone{how}; call shutdown() on this ActorSystem to release it, then start a new one"
            )

    def _pump(self, timeout: float | None) -> None:
        """Read what arrived (one thread at a time) and sort it to endpoints and replies."""
        cond = self._cond
        if self._pumping:
            cond.wait(timeout)
            return
        self._pumping = True
        cond.release()
        try:
            envs, ready = self.transport.receive(timeout, self._waitables())
        finally:
            cond.acquire()
            self._pumping = False
        if ready and self._admin is not None and self._admin.sentinel in ready:
            self._admin_dead = self._admin.exitcode is not None
        endpoints = self._endpoints
        for target, _sender, data in envs:
            ep = endpoints.get(target)
            try:
                msg = loads(data)
            except Exception as exc:
                if ep is not None:
                    ep.inbox.append(PoisonMessage(None, f"reply could not be unpickled: {exc}"))
                continue
            if ep is not None:
                ep.inbox.append(msg)
                if ep.ready is not None:
                    ep.ready()
            elif target == self._control:
                key = getattr(msg, "req_id", None)
                self._replies[key if key is not None else type(msg)] = msg
        cond.notify_all()

    def _wait_reply_kind(self, kinds: tuple[type, ...], limit: float) -> Any:
        deadline = time.monotonic() + limit
        with self._cond:
            while True:
                for kind in kinds:
                    if kind in self._replies:
                        return self._replies.pop(kind)
                left = deadline - time.monotonic()
                if left <= 0 or self._admin_gone():
                    return None
                self._pump(min(left, 0.5))

    def _request(self, msg: Any, limit: float, what: str) -> Any:
        self._check()
        with self._cond:
            self._send_admin(msg)
            deadline = time.monotonic() + limit
            while True:
                if msg.req_id in self._replies:
                    return self._replies.pop(msg.req_id)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ActorSystemRequestTimeout(f"{what}: no answer from the admin within {limit:g} s")
                if self._admin_gone():
                    self._check()
                self._pump(min(left, 0.5))

    def _send_admin(self, msg: Any) -> None:
        admin = self.transport.admin_address
        try:
            self._send(admin, (admin, self._control, dumps(msg)))
        except OSError as exc:  # the admin's connection is gone
            self._check(look_now=True)
            raise ActorSystemFailure(f"the {self.baseName} admin cannot be reached: {exc}") from None

    def _send(self, target: Any, envelope: Any) -> None:
        with self._send_lock:
            self.transport.send(target, envelope)

    def _req_id(self) -> int:
        return next(self._ids)

    # -- SystemBase protocol -----------------------------------------------------
    def open_endpoint(self) -> ClientEndpoint:
        self._check()
        ep = ClientEndpoint(self, f"{self.transport.client_prefix}{next(self._ids)}")
        self._endpoints[ep.address.addressDetails] = ep
        return ep

    def tell(self, endpoint: ClientEndpoint, target: ActorAddress, msg: Any) -> None:
        if self._admin_gone(thorough=False):
            self._check()
        details = target.addressDetails
        try:
            data = dumps(msg, self._sharing, details)
        except UnpicklableMessage as exc:
            endpoint.inbox.append(PoisonMessage(msg, f"message cannot be pickled: {exc}"))
            return
        me = endpoint.address.addressDetails
        too_big = oversize(data, details, me, self._size_limit)
        if too_big is not None:
            endpoint.inbox.append(PoisonMessage(msg, too_big))
            return
        try:
            self._send(details, (details, me, data))
        except OSError as exc:  # the admin's connection is gone
            discard(data)
            self._check(look_now=True)
            raise ActorSystemFailure(f"could not hand the message to {self.baseName}: {exc}") from None

    def receive(self, endpoint: ClientEndpoint, timeout: float | None) -> Any:
        inbox = endpoint.inbox
        if inbox:
            return inbox.popleft()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not inbox:
                # Before the timeout: a receive that does not wait (ask_async
                # looking after a wake-up) must still hear that the system is gone.
                if self.is_shutdown or self._admin_gone():
                    self._check()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return NOTHING
                self._pump(1.0 if left is None else min(left, 1.0))
            return inbox.popleft()

    def ask(self, endpoint: ClientEndpoint, target: ActorAddress, msg: Any, timeout: float | None) -> Any:
        self.tell(endpoint, target, msg)
        return self.receive(endpoint, timeout)

    def watch(self, endpoint: ClientEndpoint, ready: Callable[[], None]) -> None:
        """Call ``ready()`` (from any thread) whenever ``endpoint`` receives, until
        :meth:`unwatch`: one thread reads for every watched endpoint of this system."""
        endpoint.ready = ready
        with self._cond:
            self._watched.add(endpoint)
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="actorcore-ask_async", daemon=True)
                self._watcher.start()

    def unwatch(self, endpoint: ClientEndpoint) -> None:
        with self._cond:
            self._watched.discard(endpoint)
        endpoint.ready = None

    def _watch(self) -> None:
        with self._cond:
            try:
                while self._watched and not self.is_shutdown and not self._admin_gone():
                    self._pump(0.5)
            finally:
                self._watcher = None
                # Shut down, or the admin gone: each waiter looks, and is told so.
                for endpoint in list(self._watched):
                    if endpoint.ready is not None:
                        endpoint.ready()

    def createActor(
        self, endpoint: ClientEndpoint, actorClass: Any, requirements: Any,
        globalName: str | None, sourceHash: str | None,
    ) -> ActorAddress:
        if isinstance(actorClass, str) and not actorClass.startswith(mainclasses.MAIN + "."):
            spec = actorClass
            check_class_name(spec)
        else:
            cls = resolve_actor_class(actorClass)
            if mainclasses.defined_in_main(cls):
                why = mainclasses.refusal(cls, self._start_method, self.transport.admin_address)
                if why is not None:
                    raise InvalidActorSpecification(actorClass, f"{self.baseName}: {why}")
            spec = importable_spec(cls)
        req = protocol.CreateActor(
            req_id=self._req_id(), new_id=None, parent=None, spec=spec, requirements=requirements,
            globalName=globalName, sourceHash=sourceHash, reply_to=self._control,
        )
        reply = self._request(req, limits.CREATE_LIMIT, f"createActor({spec})")
        kind = reply.error_kind
        if kind is None:
            return ActorAddress(reply.actor)
        if kind == CreateFailure.SPEC:
            raise InvalidActorSpecification(actorClass, reply.error)
        if kind == CreateFailure.IMPORT:
            raise ImportError(f"cannot import actor class {spec}: {reply.error}")
        if kind == CreateFailure.CAPABILITY:
            raise NoCompatibleSystemForActor(actorClass, reply.error)
        if kind == CreateFailure.SOURCE:
            raise InvalidActorSourceHash(sourceHash)
        raise ActorSystemFailure(f"{spec} could not be created: {reply.error.strip()}")

    def updateCapability(self, endpoint: ClientEndpoint, name: str, value: Any) -> None:
        reply = self._request(
            protocol.UpdateCapability(req_id=self._req_id(), name=name, value=value, reply_to=self._control),
            limits.CAPABILITY_LIMIT, "updateCapability",
        )
        if reply.error:
            raise ActorSystemFailure(reply.error)

    def loadActorSource(self, endpoint: ClientEndpoint, data: bytes, info: str | None) -> str:
        req = protocol.SourceRequest(req_id=self._req_id(), op=SourceOp.LOAD, sender=self._control,
                                     reply_to=self._control, data=data, info=info)
        return self._request(req, limits.SOURCE_LIMIT, "loadActorSource").value

    def unloadActorSource(self, endpoint: ClientEndpoint, sourceHash: str) -> None:
        req = protocol.SourceRequest(req_id=self._req_id(), op=SourceOp.UNLOAD, sender=self._control,
                                     reply_to=self._control, sourceHash=sourceHash)
        self._request(req, limits.SOURCE_LIMIT, "unloadActorSource")

    def shutdown(self) -> None:
        with self._shutdown_lock:
            if self.is_shutdown:
                return
            try:
                if not self._admin_gone():
                    limit = 30.0
                    try:
                        self._request(protocol.Shutdown(req_id=self._req_id(), reply_to=self._control),
                                      limit, "shutdown")
                    except ActorSystemFailure:
                        pass
                if self._admin is not None:
                    self._admin.join(10.0)
                else:
                    procs.wait_exit(self._admin_pid, 10.0)
            finally:
                self._kill_all()
                self.is_shutdown = True
                self.transport.close()
                if self._sharing is not None:  # the admin removed it, unless it was killed
                    shmem.remove(self._sharing.space.sysid)

    def detach(self) -> None:
        """Let go of a shared (UDP/TCP) system without stopping it, as a program
        that attached to it does when it exits."""
        with self._shutdown_lock:
            if self.is_shutdown or not self.config.shared:
                return
            self.is_shutdown = True
            self.transport.close()
            if self._sharing is not None:
                shmem.leave(self._sharing.space.sysid)

    def _kill_all(self) -> None:
        """Make sure nothing of this system outlives it: the admin's group holds every actor."""
        if self._admin is None:  # shared: the admin's actors die with it (parent-death signal)
            if self._admin_pid and procs.pid_alive(self._admin_pid):
                try:
                    os.kill(self._admin_pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                procs.wait_exit(self._admin_pid, 5.0)
            return
        if self._admin.exitcode is None:
            self._admin.kill()
            self._admin.join(5.0)
        if self._admin.exitcode != 0:  # actors left by a crashed admin share its group
            procs.kill_group(self._admin_pid)


_live: weakref.WeakSet[MultiprocSystem] = weakref.WeakSet()


@atexit.register
def _shutdown_forgotten() -> None:
    """A program that never called shutdown() must still exit (and leave nothing)."""
    for system in list(_live):
        try:
            if system.config.shared:
                # a UDP/TCP system outlives the program that started it, by design;
                # but its admin is told we left (else a UDP admin waits for our acks)
                if not system.is_shutdown:
                    system.transport.close()
                continue
            system.shutdown()
        except Exception:
            pass

