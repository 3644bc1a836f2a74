"""SimpleSystem: the whole actor system inside the caller's thread (docs/api.md §6.3.1).

Every ``tell``/``ask``/``listen`` drives the system: it delivers the queued
messages, and every message they cause, until the system is quiescent.
No serialization: receivers get the very object that was sent. Async
handlers run on the core's event loop (``async_driver``), which the same
calls step while they wait, so their sleeps and I/O go on meanwhile.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections import deque
from typing import Any

from actorcore.actors import (
    ActorAddress,
    ActorExitRequest,
    ActorSystemFailure,
    ChildActorExited,
    NoCompatibleSystemForActor,
    Thespian_SystemStatus,
    WakeupMessage,
)
from actorcore.plugin import (
    DONE,
    LIVE,
    NOTHING,
    SourceRegistry,
    async_driver,
    capability_refusal,
    class_spec,
    common_capabilities,
    dead_letter,
    drain,
    next_dead_letter_handler,
    orphan,
    plugin_hooks,
    system_requests,
    update_capability,
)

from .record import ActorRecord, SimpleId, new_id
from .spawn import Spawner

BASE_NAME = "simpleSystemBase"
# Simple systems of one process reach each other's actors (as Thespian's do), so
# they share one lock: a delivery from one to another never waits on a second lock.
_LOCK = threading.RLock()
_running: list[SimpleSystem] = []  # the systems of this process not shut down
_crossed: deque[SimpleSystem] = deque()  # systems given messages by another, to drain
_seq = itertools.count()
#: Seconds a shutdown waits for async handlers it cancelled to end (each gets
#: the core's cancel grace; this bounds the whole).
_ASYNC_SHUTDOWN_GRACE = 5.0
_log = logging.getLogger("actorcore.simple")


class _Until:
    """Stands in for an inbox in ``_run``: "non-empty" once ``done()`` holds."""

    __slots__ = ("done",)

    def __init__(self, done: Any) -> None:
        self.done = done

    def __bool__(self) -> bool:
        return bool(self.done())


class _Endpoint:
    """An external endpoint: an address and the messages waiting for it."""

    __slots__ = ("address", "inbox", "_system")

    def __init__(self, system: SimpleSystem) -> None:
        self._system = system
        self.address = ActorAddress(new_id())
        self.inbox: deque[Any] = deque()

    def close(self) -> None:
        self._system._endpoints.pop(self.address.addressDetails, None)


class SimpleSystem:
    """A running simpleSystemBase system (implements actorcore._core.base.SystemBase)."""

    baseName = BASE_NAME

    def __init__(self, capabilities: Any = None, logDefs: Any = None, transientUnique: bool = False):
        self.capabilities = common_capabilities(
            capabilities,
            system_name="simpleSystem",
            system_version=2,
            watch_supported=False,
            defaults={"AllowRemoteActorSources": "No"},
        )
        if logDefs == "BestForBase":
            logDefs = False
        plugin_hooks().actorcore_configure_logging(
            base_name=BASE_NAME, logDefs=logDefs, where="caller"
        )
        self.queue: deque[tuple[ActorAddress, Any, ActorAddress]] = deque()
        self._actors: dict[SimpleId, ActorRecord] = {}
        self._endpoints: dict[SimpleId, _Endpoint] = {}
        self._names: dict[str, ActorRecord] = {}
        self._timers: list[tuple[float, int, ActorAddress, WakeupMessage]] = []
        self._dead_letter_handler: ActorRecord | None = None
        self._lock = _LOCK
        self.is_shutdown = False
        self._started = time.monotonic()
        self._shutdown_requested = False
        self._limit = 0  # deliveries allowed in one run of the queue; 0: no limit
        self.systemAddress = ActorAddress(new_id())
        self.sources = SourceRegistry(self._send_from_system, self.capabilities)
        self._spawn = Spawner(self)
        self._held = self._spawn.held  # messages for children not made yet, by their id
        self._otherwise = self._elsewhere  # bound once: drain() is given it for every ask
        self._aio = async_driver()  # its loop is made only when an async handler first runs
        self._requests = system_requests(
            self._system_status, self._send_from_system, self.sources.on_validated
        )
        with _LOCK:
            _running.append(self)

    # -- SystemBase protocol ---------------------------------------------------
    def open_endpoint(self) -> _Endpoint:
        ep = _Endpoint(self)
        self._endpoints[ep.address.addressDetails] = ep
        return ep

    def tell(self, endpoint: _Endpoint, target: ActorAddress, msg: Any) -> None:
        with self._lock:
            self._release_due()
            self.queue.append((target, msg, endpoint.address))
            self._run(None, None, False)

    def tell_now(self, endpoint: _Endpoint, target: ActorAddress, msg: Any) -> tuple[bool, Any]:
        """For ``ask_async``: if no thread is running this process's simple
        systems (this one included, from further up its stack), hand ``msg``
        over and run the actors until idle, without waiting for wakeups or
        suspended handlers; then (True, the endpoint's first message or
        NOTHING). (False, NOTHING), sending nothing, if one is."""
        lock = self._lock
        if lock._is_owned() or not lock.acquire(blocking=False):  # type: ignore[attr-defined]
            return False, NOTHING
        try:
            self._hand_in(endpoint, target, msg)
            inbox = endpoint.inbox
            return True, inbox.popleft() if inbox else NOTHING
        finally:
            lock.release()

    def _hand_in(self, endpoint: _Endpoint, target: ActorAddress, msg: Any) -> None:
        """What ``ask`` and ``tell_now`` do first, under the lock: deliver
        ``msg`` and all it causes; then, as ``tell`` does, run what fell due
        (a wakeup, a shutdown, async handlers), but wait for nothing."""
        self._release_due()
        self.queue.append((target, msg, endpoint.address))
        self._drain()
        timers = self._timers
        if (
            self._shutdown_requested
            or (timers and timers[0][0] <= time.monotonic())
            or self._aio.loop is not None
        ):
            self._run(None, None, False)

    def receive(self, endpoint: _Endpoint, timeout: float | None) -> Any:
        inbox = endpoint.inbox
        with self._lock:
            if not inbox:
                deadline = None if timeout is None else time.monotonic() + timeout
                self._run(inbox, deadline, True)
            return inbox.popleft() if inbox else NOTHING

    def ask(self, endpoint: _Endpoint, target: ActorAddress, msg: Any, timeout: float | None) -> Any:
        inbox = endpoint.inbox
        with self._lock:
            self._hand_in(endpoint, target, msg)
            if not inbox:
                deadline = None if timeout is None else time.monotonic() + timeout
                self._run(inbox, deadline, True)
            return inbox.popleft() if inbox else NOTHING

    def createActor(
        self,
        endpoint: _Endpoint,
        actorClass: Any,
        requirements: Any,
        globalName: str | None,
        sourceHash: str | None,
    ) -> ActorAddress:
        with self._lock:
            if globalName is not None and globalName in self._names:
                return self._names[globalName].address
            if sourceHash is not None and self.sources.is_pending(sourceHash):
                self._await_verdict(sourceHash)
            cls = self._spawn.resolve(actorClass, sourceHash)
            refusal = capability_refusal(cls, self.capabilities, requirements)
            if refusal is not None:
                raise NoCompatibleSystemForActor(cls, refusal)
            rec, error = self._spawn.construct(cls, None, globalName, requirements, sourceHash)
            if rec is None:
                raise ActorSystemFailure(
                    f"{class_spec(cls)} could not be created: its __init__ raised {error}"
                )
            return rec.address

    def _await_verdict(self, sourceHash: str) -> None:
        """Run the system until the Source Authority has judged ``sourceHash``,
        its wait expires, or nothing left to run could change it."""
        sources = self.sources
        self._run(_Until(lambda: not sources.is_pending(sourceHash)), sources.deadline(sourceHash), True)
        if sources.is_pending(sourceHash):
            sources.expire()

    def updateCapability(self, endpoint: _Endpoint, name: str, value: Any) -> None:
        with self._lock:
            self.update_capability(name, value, external=True)
            self._run(None, None, False)

    def loadActorSource(self, endpoint: _Endpoint, data: bytes, info: str | None) -> str:
        with self._lock:
            digest = self.sources.load(data, info)
            self._run(None, None, False)
            return digest

    def unloadActorSource(self, endpoint: _Endpoint, sourceHash: str) -> None:
        with self._lock:
            self.sources.unload(sourceHash)
            self._run(None, None, False)

    def shutdown(self) -> None:
        with self._lock:
            if self.is_shutdown:
                return
            self.is_shutdown = True
            self._limit = 0  # shutdown must finish
            for rec in list(self._actors.values()):
                if rec.parent is None and rec.state == LIVE:
                    self.queue.append((rec.address, ActorExitRequest(), self.systemAddress))
            self._drain()
            self._settle_async()
            for rec in list(self._actors.values()):  # whatever did not finish exiting
                rec.abandon_async()
                self.release(rec)
            self.queue.clear()
            self._timers.clear()
            self._endpoints.clear()
            if self in _running:
                _running.remove(self)
            if not _running and self._aio.loop is not None:
                self._aio.close(_ASYNC_SHUTDOWN_GRACE)

    def _settle_async(self) -> None:
        """Run the event loop until the async handlers of this system's actors
        (cancelled by their exit requests) have ended, or the grace is over."""
        aio = self._aio
        if aio.loop is None:
            return
        actors = self._actors
        deadline = time.monotonic() + _ASYNC_SHUTDOWN_GRACE
        while True:
            left = aio.step()
            if self._stepped():
                self._drain()
                continue
            if not any(rec.aio is not None and rec.aio.task is not None for rec in actors.values()):
                return
            now = time.monotonic()
            if now >= deadline:
                return
            if aio.wait(deadline - now if left is None else min(left, deadline - now)):
                aio.step(io=True)

    # -- driving ---------------------------------------------------------------
    def _run(self, inbox: deque[Any] | _Until | None, deadline: float | None, wait: bool) -> None:
        """Deliver until quiescent; with ``wait``, also sleep for wakeups due
        before ``deadline`` (None: any pending) until ``inbox`` has a message."""
        timers = self._timers
        aio = self._aio
        while True:
            if self.queue or _crossed:
                self._drain()
            if self._shutdown_requested:
                self._shutdown_requested = False
                self.shutdown()
                return
            left = None
            if aio.loop is not None:  # async handlers have run: step their loop
                left = aio.step()
                if self._stepped():
                    continue
            if inbox or self.is_shutdown:
                return
            busy = aio.tasks > 0  # a suspended handler may yet send something
            if not timers and not busy:
                return
            if self._release_due():
                continue
            if not wait:
                return
            now = time.monotonic()
            until = timers[0][0] if timers else None
            if busy and left is not None:
                until = now + left if until is None else min(until, now + left)
            if deadline is not None:
                if now >= deadline:
                    return
                if until is None or until > deadline:
                    if not busy:
                        return  # nothing could answer before the deadline
                    until = deadline
            if busy:
                if aio.wait(None if until is None else max(0.0, until - now)):
                    aio.step(io=True)
            else:
                time.sleep(max(0.0, until - now))  # type: ignore[operator]

    def _stepped(self) -> bool:
        """After the event loop ran: whether its handlers queued messages, in
        this or another simple system of the process (those are drained next)."""
        for other in _running:
            if other.queue and other is not self and other not in _crossed:
                _crossed.append(other)
        return bool(self.queue or _crossed)

    def _release_due(self) -> bool:
        """Queue the wakeups already due, before anything the caller sends now:
        they fell due first (a program that slept past an actor's wakeup sees
        the actor woken). Whether any was due."""
        timers = self._timers
        if not timers:
            return False
        now = time.monotonic()
        if timers[0][0] > now:
            return False
        actors = self._actors
        while timers and timers[0][0] <= now:
            _, _, addr, msg = heapq.heappop(timers)
            if addr.addressDetails in actors:  # wakeups die with their actor
                self.queue.append((addr, msg, addr))
        return True

    def set_processing_limit(self, limit: int) -> None:
        """systemUpdate('setProcessingLimit', n): at most ``n`` deliveries in
        one run of the queue (0: no limit), so a message loop raises instead
        of holding the caller forever."""
        self._limit = limit

    def _drain(self) -> None:
        """Deliver everything queued here, and in the other systems of this
        process this one (or they, in turn) handed messages to."""
        system = self
        while True:
            if not drain(system.queue, system._actors, system._otherwise, system._limit):
                raise RuntimeError(
                    f"simpleSystemBase delivered {system._limit} messages in one call and more "
                    "are queued (systemUpdate('setProcessingLimit')): a message loop?"
                )
            if not _crossed:
                return
            system = _crossed.popleft()

    def _owns(self, ident: Any) -> bool:
        return (
            ident in self._actors
            or ident in self._endpoints
            or ident in self._held
            or ident == self.systemAddress.addressDetails
        )

    def _hand_over(self, target: ActorAddress, msg: Any, sender: ActorAddress) -> bool:
        """Give a message for another running system's actor or endpoint to that
        system (drained by ``_drain``); False if no system of this process has it."""
        ident = target.addressDetails
        for other in _running:
            if other is not self and not other.is_shutdown and other._owns(ident):
                other.queue.append((target, msg, sender))
                if other not in _crossed:
                    _crossed.append(other)
                return True
        return False

    def _elsewhere(self, target: ActorAddress, msg: Any, sender: ActorAddress) -> None:
        """A message for no actor of this system."""
        ident = target.addressDetails
        ep = self._endpoints.get(ident)
        held = self._held.get(ident) if self._held else None
        if ep is not None:
            ep.inbox.append(msg)
        elif held is not None:
            held.append((msg, sender))
        elif target == self.systemAddress:
            self._admin_receive(msg, sender)
        elif not self._hand_over(target, msg, sender):
            self.dead_letter(target, msg, sender)

    # -- what records and the spawner need (record.Host, spawn.SpawnHost) ------------
    def create_child(
        self, parent: ActorRecord, actorClass: Any, requirements: Any,
        globalName: str | None, sourceHash: str | None,
    ) -> ActorAddress:
        return self._spawn.create_child(parent, actorClass, requirements, globalName, sourceHash)

    def named(self, globalName: str) -> ActorRecord | None:
        return self._names.get(globalName)

    def adopt(self, rec: ActorRecord) -> None:
        self._actors[rec.id] = rec
        if rec.globalName is not None:
            self._names[rec.globalName] = rec
        if rec.parent is not None:
            rec.parent.children[rec.id] = rec

    def release(self, rec: ActorRecord) -> None:
        if rec.state == DONE:
            return
        rec.state = DONE
        self._actors.pop(rec.id, None)
        if rec.globalName is not None and self._names.get(rec.globalName) is rec:
            del self._names[rec.globalName]
        self._dead_letter_handler = next_dead_letter_handler(self._dead_letter_handler, rec, False)
        self.sources.forget(rec.address)
        orphan(rec.children.values())
        rec.children.clear()
        parent = rec.parent
        if parent is not None:
            parent.children.pop(rec.id, None)
            if parent.state != DONE:
                self.queue.append(
                    (parent.address, ChildActorExited(rec.address), self.systemAddress)
                )

    # -- system services -----------------------------------------------------------
    def _send_from_system(self, target: ActorAddress, msg: Any) -> None:
        self.queue.append((target, msg, self.systemAddress))

    def _admin_receive(self, msg: Any, sender: ActorAddress) -> None:
        handler = self._requests.get(type(msg))
        if handler is None:  # exit requests to the system address are ignored, as are stray replies
            _log.debug("system address ignored %r from %s", msg, sender)
        else:
            handler(msg, sender)

    def dead_letter(self, target: ActorAddress, msg: Any, sender: ActorAddress | None = None) -> None:
        handler = self._dead_letter_handler
        live = handler.address if handler is not None and handler.state == LIVE else None
        dead_letter(target, msg, live, self._send_from_system, sender)

    def set_dead_letter_handler(self, rec: ActorRecord, start: bool) -> None:
        self._dead_letter_handler = next_dead_letter_handler(self._dead_letter_handler, rec, start)

    def add_wakeup(self, address: ActorAddress, seconds: float, wakeup: WakeupMessage) -> None:
        heapq.heappush(self._timers, (time.monotonic() + seconds, next(_seq), address, wakeup))

    def update_capability(self, name: Any, value: Any, external: bool) -> None:
        try:
            unfit = update_capability(
                self.capabilities, name, value, (r for r in self._actors.values() if r.state == LIVE)
            )
        except ActorSystemFailure as exc:  # read-only: the caller hears it, an actor's is logged
            if external:
                raise
            _log.warning("%s", exc)
            return
        for rec in unfit or ():
            self.queue.append((rec.address, ActorExitRequest(), self.systemAddress))

    def request_shutdown(self) -> None:
        self._shutdown_requested = True

    # -- status ----------------------------------------------------------------
    def pending_for(self, address: ActorAddress) -> tuple[int, int]:
        return (
            sum(1 for t, _, _ in self.queue if t == address),
            sum(1 for t in self._timers if t[2] == address),
        )

    def _system_status(self) -> Thespian_SystemStatus:
        handler = self._dead_letter_handler
        top = [r.address for r in self._actors.values() if r.parent is None]
        return Thespian_SystemStatus(
            adminAddress=self.systemAddress,
            conventionLeader=None,
            capabilities=dict(self.capabilities),
            deadLetterHandler=handler.address if handler else None,
            globalActors={n: r.address for n, r in self._names.items()},
            inShutdown=self.is_shutdown,
            sourceAuthority=self.sources.authority,
            loadedSources=self.sources.status(),
            childActors=top,
            pendingMessages=len(self.queue),
            pendingWakeups=len(self._timers),
            miscKeyVals={"actors": len(self._actors)},
            baseName=BASE_NAME,
            pid=os.getpid(),
            uptime=round(time.monotonic() - self._started, 3),
            actorTable=[
                {
                    "address": r.address,
                    "parent": r.parent.address if r.parent is not None else None,
                    "actorClass": class_spec(r.cls),
                    "globalName": r.globalName,
                    "pid": os.getpid(),
                    "state": "live" if r.state == LIVE else "exiting",
                    "system": None,
                }
                for r in self._actors.values()
            ],
        )
