"""SimpleSystem: the whole actor system inside the caller's thread (docs/api.md §6.3.1).

Every ``tell``/``ask``/``listen`` drives the system: it delivers the queued
messages, and every message they cause, until the system is quiescent.
No serialization: receivers get the very object that was sent.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import traceback
from collections import deque
from typing import Any

from actorcore import plugins
from actorcore.actor import Actor
from actorcore.addresses import ActorAddress
from actorcore.base import NOTHING
from actorcore.capabilities import READ_ONLY, actor_accepts, common_capabilities
from actorcore.creation import check_class_name, class_spec, instantiate, resolve_actor_class
from actorcore.errors import (
    ActorSystemFailure,
    InvalidActorSourceHash,
    InvalidActorSpecification,
    NoCompatibleSystemForActor,
)
from actorcore.messages import (
    ActorExitRequest,
    ChildActorExited,
    DeadEnvelope,
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_StatusReq,
    Thespian_SystemStatus,
    ThespianWatch,
    ValidatedSource,
    WakeupMessage,
)
from actorcore.sourceregistry import SourceRegistry

from .record import DEAD, EXITING, LIVE, ActorRecord, SimpleId

BASE_NAME = "simpleSystemBase"
_ids = itertools.count(1)  # process-wide, so addresses of two systems never compare equal
# Simple systems of one process reach each other's actors (as Thespian's do), so
# they share one lock: a delivery from one to another never waits on a second lock.
_LOCK = threading.RLock()
_running: list[SimpleSystem] = []  # the systems of this process not shut down
_crossed: deque[SimpleSystem] = deque()  # systems given messages by another, to drain
_seq = itertools.count()
_log = logging.getLogger("actorcore.simple")

#: Message classes that need the runtime's attention, not just delivery.
_SPECIAL = frozenset({ActorExitRequest, Thespian_StatusReq, ChildActorExited})


def _new_id() -> SimpleId:
    return SimpleId(next(_ids))


def _actor_log(rec: ActorRecord) -> logging.LoggerAdapter:
    return logging.LoggerAdapter(
        logging.getLogger(rec.cls.__name__), {"actorAddress": str(rec.address)}
    )


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
        self.address = ActorAddress(_new_id())
        self.inbox: deque[Any] = deque()

    def close(self) -> None:
        self._system._endpoints.pop(self.address.addressDetails, None)


class SimpleSystem:
    """A running simpleSystemBase system (implements actorcore.base.SystemBase)."""

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
        plugins.hook().actorcore_configure_logging(
            base_name=BASE_NAME, logDefs=logDefs, where="caller"
        )
        self._queue: deque[tuple[ActorAddress, Any, ActorAddress]] = deque()
        self._actors: dict[SimpleId, ActorRecord] = {}
        self._endpoints: dict[SimpleId, _Endpoint] = {}
        self._names: dict[str, ActorRecord] = {}
        self._timers: list[tuple[float, int, ActorAddress, WakeupMessage]] = []
        self._dead_letter_handler: ActorRecord | None = None
        self._lock = _LOCK
        self.is_shutdown = False
        self._shutdown_requested = False
        self._limit = 0  # deliveries allowed in one run of the queue; 0: no limit
        self.systemAddress = ActorAddress(_new_id())
        self._sources = SourceRegistry(self._send_from_system, self.capabilities)
        # Children created by actors naming a source still being validated:
        # reserved id -> messages held for them until the verdict (docs/api.md §8.3).
        self._deferred: dict[SimpleId, list[tuple[Any, ActorAddress]]] = {}
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
            self._queue.append((target, msg, endpoint.address))
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
            self._release_due()
            self._queue.append((target, msg, endpoint.address))
            self._drain()
            timers = self._timers
            if self._shutdown_requested or (timers and timers[0][0] <= time.monotonic()):
                self._run(None, None, False)  # as tell does: what is due runs now
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
            if sourceHash is not None and self._sources.is_pending(sourceHash):
                self._await_verdict(sourceHash)
            cls = self._resolve(actorClass, sourceHash)
            if not actor_accepts(cls, self.capabilities, requirements):
                raise NoCompatibleSystemForActor(
                    cls, f"{class_spec(cls)} does not accept this system's capabilities"
                )
            rec, error = self._construct(cls, None, globalName, requirements, sourceHash)
            if rec is None:
                raise ActorSystemFailure(
                    f"{class_spec(cls)} could not be created: its __init__ raised {error}"
                )
            return rec.address

    def _await_verdict(self, sourceHash: str) -> None:
        """Run the system until the Source Authority has judged ``sourceHash``,
        its wait expires, or nothing left to run could change it."""
        sources = self._sources
        self._run(_Until(lambda: not sources.is_pending(sourceHash)), sources.deadline(sourceHash), True)
        if sources.is_pending(sourceHash):
            sources.expire()

    def updateCapability(self, endpoint: _Endpoint, name: str, value: Any) -> None:
        with self._lock:
            self._update_capability(name, value, external=True)
            self._run(None, None, False)

    def loadActorSource(self, endpoint: _Endpoint, data: bytes, info: str | None) -> str:
        with self._lock:
            digest = self._sources.load(data, info)
            self._run(None, None, False)
            return digest

    def unloadActorSource(self, endpoint: _Endpoint, sourceHash: str) -> None:
        with self._lock:
            self._sources.unload(sourceHash)
            self._run(None, None, False)

    def shutdown(self) -> None:
        with self._lock:
            if self.is_shutdown:
                return
            self.is_shutdown = True
            self._limit = 0  # shutdown must finish
            for rec in list(self._actors.values()):
                if rec.parent is None and rec.state == LIVE:
                    self._queue.append((rec.address, ActorExitRequest(), self.systemAddress))
            self._drain()
            for rec in list(self._actors.values()):  # whatever did not finish exiting
                self._finish(rec)
            self._queue.clear()
            self._timers.clear()
            self._endpoints.clear()
            if self in _running:
                _running.remove(self)

    # -- driving ---------------------------------------------------------------
    def _run(self, inbox: deque[Any] | _Until | None, deadline: float | None, wait: bool) -> None:
        """Deliver until quiescent; with ``wait``, also sleep for wakeups due
        before ``deadline`` (None: any pending) until ``inbox`` has a message."""
        timers = self._timers
        while True:
            if self._queue:
                self._drain()
            if self._shutdown_requested:
                self._shutdown_requested = False
                self.shutdown()
                return
            if inbox or not timers or self.is_shutdown:
                return
            if self._release_due():
                continue
            due = timers[0][0]
            if not wait or (deadline is not None and due > deadline):
                return
            time.sleep(max(0.0, due - time.monotonic()))

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
                self._queue.append((addr, msg, addr))
        return True

    def set_processing_limit(self, limit: int) -> None:
        """systemUpdate('setProcessingLimit', n): at most ``n`` deliveries in
        one run of the queue (0: no limit), so a message loop raises instead
        of holding the caller forever."""
        self._limit = limit

    def _drain(self) -> None:
        """Deliver everything queued here, and in the other systems of this
        process this one (or they, in turn) handed messages to."""
        self._drain_own()
        while _crossed:
            _crossed.popleft()._drain_own()

    def _owns(self, ident: Any) -> bool:
        return (
            ident in self._actors
            or ident in self._endpoints
            or ident in self._deferred
            or ident == self.systemAddress.addressDetails
        )

    def _hand_over(self, target: ActorAddress, msg: Any, sender: ActorAddress) -> bool:
        """Give a message for another running system's actor or endpoint to that
        system (drained by ``_drain``); False if no system of this process has it."""
        ident = target.addressDetails
        for other in _running:
            if other is not self and not other.is_shutdown and other._owns(ident):
                other._queue.append((target, msg, sender))
                if other not in _crossed:
                    _crossed.append(other)
                return True
        return False

    def _drain_own(self) -> None:
        queue = self._queue
        pop = queue.popleft
        actors = self._actors
        special = _SPECIAL
        limit, count = self._limit, 0
        while queue:
            if limit:
                count += 1
                if count > limit:
                    raise RuntimeError(
                        f"simpleSystemBase delivered {limit} messages in one call and more are "
                        "queued (systemUpdate('setProcessingLimit')): a message loop?"
                    )
            target, msg, sender = pop()
            try:
                rec = actors.get(target.addressDetails)
            except AttributeError:
                continue  # cannot happen through the API: every target is checked
            if rec is None or rec.state or msg.__class__ in special:
                self._deliver_slow(target, rec, msg, sender)
                continue
            rec.received += 1
            try:
                result = rec.receive(msg, sender)  # type: ignore[misc]
            except Exception:
                self._retry(rec, msg, sender)
                continue
            if result is not None:
                self._returned(rec, result)

    def _deliver_slow(
        self, target: ActorAddress, rec: ActorRecord | None, msg: Any, sender: ActorAddress
    ) -> None:
        if rec is None:
            ep = self._endpoints.get(target.addressDetails)
            held = self._deferred.get(target.addressDetails) if self._deferred else None
            if ep is not None:
                ep.inbox.append(msg)
            elif held is not None:
                held.append((msg, sender))
            elif target == self.systemAddress:
                self._admin_receive(msg, sender)
            elif not self._hand_over(target, msg, sender):
                self._dead_letter(target, msg)
            return
        if isinstance(msg, ActorExitRequest):
            self._exit_request(rec, msg, sender)
        elif isinstance(msg, Thespian_StatusReq):
            self._queue.append((sender, self._actor_status(rec), rec.address))
        elif rec.state == EXITING:
            if isinstance(msg, ChildActorExited):
                self._call_once(rec, msg, sender)
                rec.waiting.discard(msg.childAddress.addressDetails)
                if not rec.waiting:
                    self._finish(rec)
            else:
                _actor_log(rec).debug("discarded while exiting: %r", msg)
        else:
            rec.received += 1
            try:
                result = rec.receive(msg, sender)  # type: ignore[misc]
            except Exception:
                self._retry(rec, msg, sender)
                return
            if result is not None:
                self._returned(rec, result)

    def _retry(self, rec: ActorRecord, msg: Any, sender: ActorAddress) -> None:
        """First attempt failed: log, try once more at once, then poison."""
        rec.failed += 1
        log = _actor_log(rec)
        log.warning("%s failed on %r; retrying once", rec.cls.__name__, msg, exc_info=True)
        try:
            result = rec.receive(msg, sender)  # type: ignore[misc]
        except Exception:
            details = traceback.format_exc()
            log.error("%s failed twice on %r", rec.cls.__name__, msg, exc_info=True)
            plugins.internal_log(logging.ERROR, f"{rec.address} failed twice: {details}")
            if isinstance(msg, PoisonMessage):
                return  # never poison a poison
            self._queue.append((sender, PoisonMessage(msg, details), rec.address))
            return
        if result is not None:
            self._returned(rec, result)

    def _call_once(self, rec: ActorRecord, msg: Any, sender: ActorAddress) -> None:
        try:
            rec.receive(msg, sender)  # type: ignore[misc]
        except Exception:
            _actor_log(rec).error("%s failed on %r", rec.cls.__name__, msg, exc_info=True)

    def _returned(self, rec: ActorRecord, result: Any) -> None:
        if isinstance(result, ThespianWatch):
            _actor_log(rec).error(
                "ThespianWatch returned by %s ignored: simpleSystemBase does not support "
                "watches (Thespian Watch Supported is False)", rec.cls.__name__
            )

    # -- lifecycle -----------------------------------------------------------------
    def _resolve(self, actorClass: Any, sourceHash: str | None) -> type[Actor]:
        if sourceHash is not None:
            source = self._sources.loaded.get(sourceHash)
            if source is None:
                raise InvalidActorSourceHash(sourceHash)
            if isinstance(actorClass, str):
                check_class_name(actorClass)
                cls = source.load_class(actorClass)
                return resolve_actor_class(cls)
        return resolve_actor_class(actorClass)

    def _construct(
        self,
        cls: type[Actor],
        parent: ActorRecord | None,
        globalName: str | None,
        requirements: Any,
        sourceHash: str | None,
        ident: SimpleId | None = None,
    ) -> tuple[ActorRecord | None, str]:
        ident = _new_id() if ident is None else ident
        rec = ActorRecord(self, ident, cls, parent, globalName, requirements, sourceHash)
        try:
            actor = instantiate(cls, self.capabilities, requirements)
        except Exception as exc:
            _actor_log(rec).error("%s failed in __init__", class_spec(cls), exc_info=True)
            return None, f"{type(exc).__name__}: {exc}"
        actor._ctx = rec
        if getattr(type(actor), "send", None) is Actor.send:
            actor.send = rec.send  # type: ignore[method-assign]  # skip one call per send
        rec.actor = actor
        rec.receive = actor.receiveMessage
        self._actors[rec.id] = rec
        if globalName is not None:
            self._names[globalName] = rec
        if parent is not None:
            parent.children[rec.id] = rec
        return rec, ""

    def _create_child(
        self,
        parent: ActorRecord,
        actorClass: Any,
        requirements: Any,
        globalName: str | None,
        sourceHash: str | None,
    ) -> ActorAddress:
        if globalName is not None:
            if not isinstance(globalName, str):
                raise TypeError(f"globalName must be a string, not {type(globalName).__name__}")
            existing = self._names.get(globalName)
            if existing is not None:
                return existing.address
        if parent.state != LIVE:
            return ActorAddress(_new_id())  # created during exit: never starts
        if sourceHash is None:
            sourceHash = parent.sourceHash
        if sourceHash is not None and self._sources.is_pending(sourceHash):
            ident = _new_id()
            self._deferred[ident] = []
            self._sources.when_settled(
                sourceHash,
                lambda: self._create_deferred(
                    parent, ident, actorClass, requirements, globalName, sourceHash
                ),
            )
            return ActorAddress(ident)
        log = _actor_log(parent)
        try:
            cls = self._resolve(actorClass, sourceHash)
        except (InvalidActorSpecification, InvalidActorSourceHash, ImportError) as exc:
            log.error("createActor(%r) failed: %s", actorClass, exc)
            return self._failed_child(parent)
        if not actor_accepts(cls, self.capabilities, requirements):
            log.warning("createActor(%s): no compatible system", class_spec(cls))
            return self._failed_child(parent)
        rec, _ = self._construct(
            cls, None if globalName is not None else parent, globalName, requirements, sourceHash
        )
        return rec.address if rec is not None else self._failed_child(parent)

    def _create_deferred(
        self,
        parent: ActorRecord,
        ident: SimpleId,
        actorClass: Any,
        requirements: Any,
        globalName: str | None,
        sourceHash: str | None,
    ) -> None:
        """The verdict on a source came: create the child reserved as ``ident``
        and deliver what was held for it, or fail it as a failed create."""
        held = self._deferred.pop(ident, [])
        addr = ActorAddress(ident)
        rec = None
        if parent.state == LIVE:
            try:
                cls = self._resolve(actorClass, sourceHash)
            except (InvalidActorSpecification, InvalidActorSourceHash, ImportError) as exc:
                _actor_log(parent).error("createActor(%r) failed: %s", actorClass, exc)
            else:
                if actor_accepts(cls, self.capabilities, requirements):
                    rec, _ = self._construct(
                        cls, None if globalName is not None else parent, globalName,
                        requirements, sourceHash, ident,
                    )
        if rec is not None:
            self._queue.extend((addr, msg, sender) for msg, sender in held)
            return
        for msg, sender in held:
            if sender == parent.address:
                self._queue.append((sender, PoisonMessage(msg, "Child Aborted"), addr))
            else:
                self._dead_letter(addr, msg)
        if parent.state == LIVE:
            self._queue.append((parent.address, ChildActorExited(addr), self.systemAddress))

    def _failed_child(self, parent: ActorRecord) -> ActorAddress:
        addr = ActorAddress(_new_id())
        self._queue.append((parent.address, ChildActorExited(addr), self.systemAddress))
        return addr

    def _exit_request(self, rec: ActorRecord, msg: ActorExitRequest, sender: ActorAddress) -> None:
        if rec.state != LIVE:
            return  # a second request during exit is ignored
        rec.state = EXITING
        rec.received += 1
        self._call_once(rec, msg, sender)
        children = list(rec.children.values())
        if msg.isRecursive and children:
            rec.waiting = {c.id for c in children}
            for child in children:
                self._queue.append((child.address, ActorExitRequest(), rec.address))
        else:
            for child in children:
                child.parent = None  # orphans: their exit goes unreported
            rec.children.clear()
            self._finish(rec)

    def _finish(self, rec: ActorRecord) -> None:
        if rec.state == DEAD:
            return
        rec.state = DEAD
        self._actors.pop(rec.id, None)
        if rec.globalName is not None and self._names.get(rec.globalName) is rec:
            del self._names[rec.globalName]
        if self._dead_letter_handler is rec:
            self._dead_letter_handler = None
        self._sources.forget(rec.address)
        for child in rec.children.values():
            child.parent = None
        rec.children.clear()
        parent = rec.parent
        if parent is not None:
            parent.children.pop(rec.id, None)
            if parent.state != DEAD:
                self._queue.append(
                    (parent.address, ChildActorExited(rec.address), self.systemAddress)
                )

    # -- system services -----------------------------------------------------------
    def _send_from_system(self, target: ActorAddress, msg: Any) -> None:
        self._queue.append((target, msg, self.systemAddress))

    def _admin_receive(self, msg: Any, sender: ActorAddress) -> None:
        if isinstance(msg, Thespian_StatusReq):
            self._queue.append((sender, self._system_status(), self.systemAddress))
        elif isinstance(msg, ValidatedSource):
            self._sources.on_validated(msg, sender)
        else:  # exit requests to the system address are ignored, as are stray replies
            _log.debug("system address ignored %r from %s", msg, sender)

    def _dead_letter(self, target: ActorAddress, msg: Any) -> None:
        if isinstance(msg, (DeadEnvelope, ChildActorExited)):
            _log.debug("undeliverable %r to %s dropped", msg, target)
            return
        handler = self._dead_letter_handler
        if handler is None or handler.state != LIVE:
            _log.debug("dead letter to %s discarded (no handler): %r", target, msg)
            return
        self._queue.append((handler.address, DeadEnvelope(target, msg), self.systemAddress))

    def _set_dead_letter_handler(self, rec: ActorRecord, start: bool) -> None:
        if start:
            self._dead_letter_handler = rec
        elif self._dead_letter_handler is rec:
            self._dead_letter_handler = None

    def _add_wakeup(self, rec: ActorRecord, seconds: float, period: Any, payload: Any) -> None:
        entry = (time.monotonic() + seconds, next(_seq), rec.address, WakeupMessage(period, payload))
        heapq.heappush(self._timers, entry)

    def _update_capability(self, name: str, value: Any, external: bool) -> None:
        if not isinstance(name, str):
            raise TypeError(f"capability name must be a string, not {type(name).__name__}")
        if name in READ_ONLY:
            text = f"capability {name!r} is read-only; updateCapability refused"
            if external:
                raise ActorSystemFailure(text)
            _log.warning(text)
            return
        caps = self.capabilities
        if value is None:
            if name not in caps:
                return
            del caps[name]
        else:
            if name in caps:
                try:
                    if caps[name] == value:
                        return
                except Exception:
                    pass
            caps[name] = value
        for rec in list(self._actors.values()):
            if rec.state == LIVE and not actor_accepts(rec.cls, caps, rec.requirements):
                self._queue.append((rec.address, ActorExitRequest(), self.systemAddress))

    def _log_no_conventions(self, call: str, remote: Any) -> None:
        _log.info("%s(%r) ignored: simpleSystemBase has no conventions", call, remote)

    # -- status ----------------------------------------------------------------
    def _pending_for(self, addr: ActorAddress) -> int:
        return sum(1 for t, _, _ in self._queue if t == addr)

    def _actor_status(self, rec: ActorRecord) -> Thespian_ActorStatus:
        return Thespian_ActorStatus(
            actorAddress=rec.address,
            actorClass=class_spec(rec.cls),
            adminAddress=self.systemAddress,
            parentAddress=rec.parent.address if rec.parent else self.systemAddress,
            sourceHash=rec.sourceHash,
            childActors=[c.address for c in rec.children.values()],
            pendingMessages=self._pending_for(rec.address),
            receivedMessages=rec.received,
            pendingWakeups=sum(1 for t in self._timers if t[2] == rec.address),
            governer=None,
            miscKeyVals={"sent": rec.sent, "failed": rec.failed, "globalName": rec.globalName},
            exiting=rec.state != LIVE,
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
            sourceAuthority=self._sources.authority,
            loadedSources=self._sources.status(),
            childActors=top,
            pendingMessages=len(self._queue),
            pendingWakeups=len(self._timers),
            miscKeyVals={"actors": len(self._actors)},
        )
