"""What happens to a message once it reaches an actor, written once for every base.

:class:`ActorCell` holds one actor's delivery state and applies the rules of
docs/api.md §2: dispatch to ``receiveMessage``, two attempts then
``PoisonMessage``, exit requests and ``ChildActorExited`` bookkeeping, a
returned ``ThespianWatch``, wakeups. A base subclasses it and supplies only
the runtime part (how a reply leaves, how an ended actor is released, its
status, where wakeups wait); :func:`drain` is the whole loop of a base that
runs its actors in one thread. The functions at the end are the system-side
rules a base applies to its actors: dead letters and their handler, messages
held for a child that never started, orphans, the checks of a create, what
the system's own address answers, capability changes. Nothing here knows
threads, processes or transports.
"""
from __future__ import annotations

import logging
import os
import time
import traceback
from collections import deque
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence, TypeVar

from . import plugins
from .actor import Actor
from .addresses import ActorAddress
from .capabilities import READ_ONLY, actor_accepts
from .creation import class_spec
from .errors import ActorSystemFailure
from .messages import (
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
from .timeouts import to_seconds

#: An actor's states: ``state`` is falsy only while it is live.
LIVE, EXITING, DONE = 0, 1, 2

#: What the reason of a PoisonMessage says for a message held for a child that never started.
CHILD_ABORTED = "Child Aborted"

_log = logging.getLogger("actorcore.delivery")

# Message classes seen to be none of the runtime's own (exit request, status
# request, child exited): one set lookup lets them past every check. Bounded,
# so that classes made on the fly cannot grow it without end.
_ordinary: set[type] = set()
_ORDINARY_MAX = 4096


class ActorCell:
    """One actor as the delivery rules see it; a base's per-actor object
    (usually also the actor's ``_ctx``) subclasses it and supplies the
    methods of the "runtime" section below."""

    __slots__ = (
        "address", "globalName", "sourceHash", "cls", "receive", "state",
        "children", "waiting", "watch", "received", "sent", "failed", "started",
    )

    #: Whether a returned ThespianWatch is honoured (the base's "Thespian Watch Supported").
    watch_ok = False

    def __init__(self, address: ActorAddress, globalName: str | None, sourceHash: str | None) -> None:
        self.address = address
        self.globalName = globalName
        self.sourceHash = sourceHash
        self.cls: type = Actor
        self.receive: Callable[[Any, ActorAddress], Any] = _unattached
        self.state = LIVE
        #: live children: address details -> whatever the base keeps for each
        self.children: dict[Any, Any] = {}
        self.waiting: set[Any] = set()  # children an exiting actor waits for
        self.watch: Sequence[int] = ()  # file descriptors of the last ThespianWatch
        self.received = self.sent = self.failed = 0
        self.started = time.monotonic()  # once per actor: status reports its uptime

    def attach(self, actor: Actor) -> None:
        """Wire a constructed actor to this cell: its system calls come here
        and messages go to its ``receiveMessage``."""
        # A base's cell provides the rest of ActorContext; each base checks so.
        actor._ctx = self  # type: ignore[assignment]
        if getattr(type(actor), "send", None) is Actor.send:
            actor.send = self.send  # type: ignore[method-assign]  # one call less per send
        self.cls = type(actor)
        self.receive = actor.receiveMessage

    # -- delivery -------------------------------------------------------------
    def deliver(self, msg: Any, sender: ActorAddress) -> None:
        """Deliver one message; the hot path is a set lookup and the call.
        (:func:`drain` inlines the plain case: change the two together.)"""
        if (self.state or msg.__class__ not in _ordinary) and self._intercept(msg, sender):
            return
        self.received += 1
        try:
            result = self.receive(msg, sender)
        except Exception:
            self._retry(msg, sender)
            return
        if result is not None:
            self._returned(result)

    def _intercept(self, msg: Any, sender: ActorAddress) -> bool:
        """Whether the runtime deals with ``msg`` itself, not (only) the actor."""
        if isinstance(msg, ActorExitRequest):
            self._exit_request(msg, sender)
            return True
        if isinstance(msg, Thespian_StatusReq):
            self._reply(sender, self._status())
            return True
        if isinstance(msg, ChildActorExited):
            child = msg.childAddress
            child = child.addressDetails if isinstance(child, ActorAddress) else None
            self.children.pop(child, None)
            if self.state == EXITING:
                self._call_once(msg, sender)
                self.waiting.discard(child)
                if not self.waiting:
                    self._finish()
                return True
        elif len(_ordinary) < _ORDINARY_MAX:
            _ordinary.add(msg.__class__)
        if self.state == LIVE:
            return False
        self._actor_log().debug("discarded while exiting: %r", msg)
        return True

    def _retry(self, msg: Any, sender: ActorAddress) -> None:
        """The first attempt raised: log it, try once more at once, then poison the sender."""
        self.failed += 1
        log = self._actor_log()
        name = self.cls.__name__
        log.warning("%s failed on %r; retrying once", name, msg, exc_info=True)
        try:
            result = self.receive(msg, sender)
        except Exception:
            details = traceback.format_exc()
            log.error("%s failed twice on %r", name, msg, exc_info=True)
            plugins.internal_log(logging.ERROR, f"{self.address} failed twice: {details}")
            if not isinstance(msg, PoisonMessage):  # never poison a poison
                self._reply(sender, PoisonMessage(msg, details))
            return
        if result is not None:
            self._returned(result)

    def _call_once(self, msg: Any, sender: ActorAddress) -> None:
        """Messages of an actor on its way out: one attempt, no poison."""
        try:
            self.receive(msg, sender)
        except Exception:
            self._actor_log().error("%s failed on %r", self.cls.__name__, msg, exc_info=True)

    def _returned(self, result: Any) -> None:
        """What ``receiveMessage`` returned: a ThespianWatch names the file
        descriptors to watch until the next message; anything else, none."""
        if isinstance(result, ThespianWatch):
            if self.watch_ok:
                self.watch = [fd for fd in result.filenos if isinstance(fd, int) and fd >= 0]
                return
            self._actor_log().error(
                "ThespianWatch returned by %s ignored: this base does not support watches "
                "(Thespian Watch Supported is False)", self.cls.__name__,
            )
        self.watch = ()

    def _exit_request(self, msg: ActorExitRequest, sender: ActorAddress) -> None:
        """The actor sees the request once; a recursive one waits for its
        children's ChildActorExited, otherwise they are left as orphans."""
        if self.state != LIVE:
            return  # a second request during exit is ignored
        self.state = EXITING
        self.received += 1
        self._call_once(msg, sender)
        if msg.isRecursive and self.children:
            self.waiting = set(self.children)
            for child in list(self.children):
                self._reply(ActorAddress(child), ActorExitRequest())
        else:
            self._finish()

    def wake(self, due: Iterable[WakeupMessage]) -> None:
        """Deliver wakeups that fell due; only a live actor is woken."""
        for wakeup in due:
            if self.state == LIVE:
                self.deliver(wakeup, self.address)

    def _never_starts(self, globalName: Any) -> bool:
        """The checks an actor's ``createActor`` makes first: TypeError for a
        ``globalName`` that is not a string; True while the actor is exiting,
        when the create returns an address that never starts (docs/api.md §2.4)."""
        if globalName is not None:
            check_global_name(globalName)
        return self.state != LIVE

    def _failed_child(self, child: ActorAddress, system: ActorAddress) -> ActorAddress:
        """A create that failed at once still returns an address, and the
        parent hears ChildActorExited for it from ``system``, as for a child
        that died starting."""
        self._post(ChildActorExited(child), system)
        return child

    def _actor_log(self) -> logging.LoggerAdapter:
        return logging.LoggerAdapter(
            logging.getLogger(self.cls.__name__), {"actorAddress": str(self.address)}
        )

    def status_report(
        self, admin: ActorAddress, parent: ActorAddress, pending: int, wakeups: int, **misc: Any
    ) -> Thespian_ActorStatus:
        """The actor's Thespian_ActorStatus, with what only the runtime knows given."""
        return Thespian_ActorStatus(
            actorAddress=self.address,
            actorClass=class_spec(self.cls),
            adminAddress=admin,
            parentAddress=parent,
            sourceHash=self.sourceHash,
            childActors=[ActorAddress(c) for c in self.children],
            pendingMessages=pending,
            receivedMessages=self.received,
            pendingWakeups=wakeups,
            governer=None,
            miscKeyVals={
                "sent": self.sent, "failed": self.failed, "globalName": self.globalName, **misc
            },
            exiting=self.state != LIVE,
            globalName=self.globalName,
            sentMessages=self.sent,
            failedMessages=self.failed,
            pid=os.getpid(),
            uptime=round(time.monotonic() - self.started, 3),
        )

    # -- the actor's own calls the rules own ----------------------------------
    def wakeupAfter(self, timePeriod: Any, payload: Any = None) -> None:
        seconds = to_seconds(timePeriod, "wakeupAfter timePeriod", allow_none=False)
        self._add_wakeup(seconds or 0.0, WakeupMessage(timePeriod, payload))

    # -- runtime: what a base supplies ----------------------------------------
    def send(self, targetAddr: ActorAddress, msg: Any) -> None:
        """The actor's ``send``."""
        raise NotImplementedError

    def _reply(self, target: ActorAddress, msg: Any) -> None:
        """Send a message the rules make for this actor (a PoisonMessage, a
        status, an exit request to a child)."""
        raise NotImplementedError

    def _post(self, msg: Any, sender: ActorAddress) -> None:
        """Queue ``msg`` for this actor itself, after what is already queued."""
        raise NotImplementedError

    def _finish(self) -> None:
        """The actor is done: set ``state`` to DONE, release it, tell its
        parent, and leave the children still in ``children`` as orphans."""
        raise NotImplementedError

    def _status(self) -> Thespian_ActorStatus:
        """The answer to Thespian_StatusReq (see :meth:`status_report`)."""
        raise NotImplementedError

    def _add_wakeup(self, seconds: float, wakeup: WakeupMessage) -> None:
        """Deliver ``wakeup`` to this actor, through :meth:`wake` or :meth:`deliver`,
        ``seconds`` from now, unless it has ended by then."""
        raise NotImplementedError(f"{type(self).__name__} has no wakeups")


def drain(
    queue: deque[tuple[ActorAddress, Any, ActorAddress]],
    cells: Mapping[Any, ActorCell],
    elsewhere: Callable[[ActorAddress, Any, ActorAddress], None],
    limit: int = 0,
) -> bool:
    """The loop of a base that runs its actors in one thread: deliver every
    (target, message, sender) in ``queue``, and all that queues meanwhile, in
    order. ``cells`` maps address details to the actors not yet released; a
    message for none of them goes to ``elsewhere``. With ``limit``, stops
    after that many deliveries and returns False if more are queued."""
    pop = queue.popleft
    ordinary = _ordinary
    count = 0
    while queue:
        if limit:
            count += 1
            if count > limit:
                return False
        target, msg, sender = pop()
        try:
            cell = cells.get(target.addressDetails)
        except AttributeError:
            continue  # cannot happen through the API: every target is checked
        if cell is None:
            elsewhere(target, msg, sender)
        elif cell.state or msg.__class__ not in ordinary:
            cell.deliver(msg, sender)
        else:
            # ActorCell.deliver's plain case, inlined: a call frame per
            # message is about a tenth of an in-thread pingpong.
            cell.received += 1
            try:
                result = cell.receive(msg, sender)
            except Exception:
                cell._retry(msg, sender)
                continue
            if result is not None:
                cell._returned(result)
    return True


def _unattached(msg: Any, sender: ActorAddress) -> Any:
    raise ActorSystemFailure("message delivered to an actor cell with no actor attached")


# -- system-side rules ----------------------------------------------------------
def dead_letter(
    target: ActorAddress,
    msg: Any,
    handler: ActorAddress | None,
    send: Callable[[ActorAddress, DeadEnvelope], None],
) -> None:
    """An undeliverable ``msg`` goes to the live dead letter ``handler`` (None:
    there is none) as a DeadEnvelope through ``send``. Dead letters and exit
    notices never become dead letters themselves; what is dropped is logged."""
    if isinstance(msg, (DeadEnvelope, ChildActorExited)):
        _log.debug("undeliverable %r to %s dropped", msg, target)
    elif handler is None:
        _log.debug("dead letter to %s discarded (no handler): %r", target, msg)
    else:
        send(handler, DeadEnvelope(target, msg))


H = TypeVar("H")


def next_dead_letter_handler(handler: H | None, actor: H, start: bool) -> H | None:
    """The dead letter handler once ``actor`` calls ``handleDeadLetters(start)``
    (or, with ``start`` False, once it has ended): the last to start is the
    handler; stopping (or ending) clears only the actor's own registration."""
    if start:
        return actor
    return None if handler == actor else handler


def bounce_held(
    held: Iterable[tuple[Any, ActorAddress]],
    parent: ActorAddress | None,
    poison: Callable[[ActorAddress, PoisonMessage], None],
    dead_letter: Callable[[Any], None],
) -> None:
    """Messages held for a child that never started (docs/api.md §2.4): the
    parent's come back to it as PoisonMessage, the others are dead letters."""
    for msg, sender in held:
        if parent is not None and sender == parent:
            poison(sender, PoisonMessage(msg, CHILD_ABORTED))
        else:
            dead_letter(msg)


class Kin(Protocol):
    """An actor as the bookkeeping of parents and children sees it."""

    parent: Any


K = TypeVar("K", bound=Kin)


def orphan(children: Iterable[K | None]) -> list[K]:
    """An actor ended while ``children`` (None: one already gone) were still
    its children: they become orphans, whose own end nobody hears of. Returns
    them; the caller empties its list of children."""
    orphans = [child for child in children if child is not None]
    for child in orphans:
        child.parent = None
    return orphans


def check_global_name(globalName: Any) -> None:
    """A create's ``globalName`` is None or a string; anything else is a TypeError."""
    if globalName is not None and not isinstance(globalName, str):
        raise TypeError(f"globalName must be a string, not {type(globalName).__name__}")


def capability_refusal(cls: type, capabilities: Mapping[str, Any], requirements: Any) -> str | None:
    """Why this system may not run ``cls`` (its ``actorSystemCapabilityCheck``
    refuses these capabilities), or None when it may."""
    # Most classes have no check: answer without the call (creates are hot).
    if getattr(cls, "actorSystemCapabilityCheck", None) is None or actor_accepts(
        cls, capabilities, requirements
    ):
        return None
    return f"{class_spec(cls)} does not accept this system's capabilities"


def system_requests(
    status: Callable[[], Thespian_SystemStatus],
    reply: Callable[[Any, Thespian_SystemStatus], None],
    verdict: Callable[[ValidatedSource, Any], None],
) -> dict[type, Callable[[Any, Any], None]]:
    """What a system's own address answers, as handlers ``(msg, sender)`` by
    message type (docs/api.md §3.12, §8.3): a status request gets ``status()``
    through ``reply``; a Source Authority's verdict goes to ``verdict``.
    Whatever else is sent there (an exit request, a stray reply) is ignored."""
    return {
        Thespian_StatusReq: lambda msg, sender: reply(sender, status()),
        ValidatedSource: verdict,
    }


class Placed(Protocol):
    """A running actor as a capability re-check sees it."""

    @property
    def cls(self) -> Any: ...

    @property
    def requirements(self) -> Any: ...


A = TypeVar("A", bound=Placed)


def update_capability(
    caps: dict[str, Any], name: Any, value: Any, running: Iterable[A]
) -> list[A] | None:
    """Apply ``updateCapability(name, value)`` to ``caps`` (None deletes) and
    return the ``running`` actors whose ``actorSystemCapabilityCheck`` no
    longer accepts the system: the caller sends each an ActorExitRequest.
    None if nothing changed (``running`` is then not read). Raises TypeError
    for a name that is not a string and ActorSystemFailure for a read-only one."""
    if not isinstance(name, str):
        raise TypeError(f"capability name must be a string, not {type(name).__name__}")
    if name in READ_ONLY:
        raise ActorSystemFailure(f"capability {name!r} is read-only; updateCapability refused")
    if value is None:
        if name not in caps:
            return None
        del caps[name]
    else:
        try:
            if name in caps and caps[name] == value:
                return None
        except Exception:  # a value that cannot be compared counts as a change
            pass
        caps[name] = value
    return [a for a in running if not actor_accepts(a.cls, caps, a.requirements)]
