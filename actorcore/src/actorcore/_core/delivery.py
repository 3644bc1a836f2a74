"""What happens to a message once it reaches an actor, written once for every base.

:class:`ActorCell` holds one actor's delivery state and applies the rules of
docs/api.md §2: dispatch to ``receiveMessage``, two attempts then
``PoisonMessage``, exit requests and ``ChildActorExited`` bookkeeping, a
returned ``ThespianWatch``, wakeups. A base subclasses it and supplies only
the runtime part (how a reply leaves, how an ended actor is released, its
status, where wakeups wait); :func:`drain` is the whole loop of a base that
runs its actors in one thread. Async handlers and in-actor asks are
:mod:`.asyncactor`'s; the system-side rules (dead letters, orphans, ...)
are :mod:`.sysrules`'. Nothing here knows threads, processes or transports.
"""
from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Coroutine
from types import CoroutineType
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import asyncactor, plugins
from .actor import Actor
from .addresses import ActorAddress
from .creation import class_spec
from .errors import ActorSystemFailure
from .messages import (
    ActorExitRequest,
    ChildActorExited,
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_StatusReq,
    ThespianWatch,
    WakeupMessage,
)
from .sysrules import check_global_name
from .timeouts import to_seconds

#: An actor's states: ``state`` is falsy only while it is live.
LIVE, EXITING, DONE = 0, 1, 2

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
        "children", "waiting", "watch", "received", "sent", "failed", "started", "aio",
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
        #: the async side (asyncactor.AsyncState), made when first needed
        self.aio: asyncactor.AsyncState | None = None

    def attach(self, actor: Actor) -> None:
        """Wire a constructed actor to this cell: its system calls come here
        and messages go to its ``receiveMessage``."""
        # A base's cell provides the rest of ActorContext; each base checks so.
        actor._ctx = self  # type: ignore[assignment]
        if getattr(type(actor), "send", None) is Actor.send:
            actor.send = self.send  # type: ignore[method-assign]  # one call less per send
        if getattr(type(actor), "ask", None) is Actor.ask:
            actor.ask = self.ask  # type: ignore[method-assign]  # and per await self.ask
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
            self._returned(result, msg, sender)

    def _redeliver(self, msg: Any, sender: ActorAddress) -> None:
        """:meth:`deliver` for a message already counted: one held while the
        actor's async handler was suspended."""
        if (self.state or msg.__class__ not in _ordinary) and self._intercept(msg, sender):
            return
        try:
            result = self.receive(msg, sender)
        except Exception:
            self._retry(msg, sender)
            return
        if result is not None:
            self._returned(result, msg, sender)

    def _intercept(self, msg: Any, sender: ActorAddress) -> bool:
        """Whether the runtime deals with ``msg`` itself, not (only) the actor."""
        cls = msg.__class__
        if cls is asyncactor.AskRequest:
            asyncactor.request(self, msg, sender)
            return True
        if cls is asyncactor.AskReply:
            asyncactor.reply(self, msg, sender)
            return True
        if isinstance(msg, ActorExitRequest):
            self._exit_request(msg, sender)
            return True
        if isinstance(msg, Thespian_StatusReq):
            self._reply(sender, asyncactor.as_reply(self, sender, self._status()))
            return True
        if isinstance(msg, ChildActorExited):
            child = msg.childAddress
            child = child.addressDetails if isinstance(child, ActorAddress) else None
            self.children.pop(child, None)
            if self.state == EXITING:
                self._call_once(msg, sender)
                self.waiting.discard(child)
                if not self.waiting:
                    self._end()
                return True
        elif isinstance(msg, PoisonMessage):  # never ordinary: it may bring back an ask's request
            if msg.poisonMessage.__class__ is asyncactor.AskRequest:
                asyncactor.bounced(self, msg)
                return True
        elif len(_ordinary) < _ORDINARY_MAX:
            _ordinary.add(cls)
        if self.state == LIVE:
            return False
        self._actor_log().debug("discarded while exiting: %r", msg)
        return True

    def _retry(self, msg: Any, sender: ActorAddress, exc: BaseException | None = None) -> None:
        """The first attempt raised (``exc``, from an async handler; else the
        exception being handled): log it, try once more at once, then poison the sender."""
        self.failed += 1
        self._actor_log().warning(
            "%s failed on %r; retrying once", self.cls.__name__, msg, exc_info=exc or True)
        try:
            result = self.receive(msg, sender)
        except Exception as second:
            self._poisoned(msg, sender, second)
            return
        if result is not None:
            self._returned(result, msg, sender, 2)

    def _poisoned(self, msg: Any, sender: ActorAddress, exc: BaseException) -> None:
        """The second attempt raised ``exc`` too: log it, and the sender gets PoisonMessage."""
        details = asyncactor.details(exc)
        self._actor_log().error("%s failed twice on %r", self.cls.__name__, msg, exc_info=exc)
        plugins.internal_log(logging.ERROR, f"{self.address} failed twice: {details}")
        if not isinstance(msg, PoisonMessage):  # never poison a poison
            self._reply(sender, asyncactor.as_reply(self, sender, PoisonMessage(msg, details)))

    def _call_once(self, msg: Any, sender: ActorAddress) -> None:
        """Messages of an actor on its way out: one attempt, no poison."""
        try:
            result = self.receive(msg, sender)
        except Exception:
            self._actor_log().error("%s failed on %r", self.cls.__name__, msg, exc_info=True)
            return
        if result is not None and _is_coroutine(result):
            asyncactor.run(self, result, msg, sender, asyncactor.ONCE)

    def _returned(self, result: Any, msg: Any, sender: ActorAddress, attempt: int = 1) -> None:
        """What the handler of ``msg`` returned (``attempt``: its first or
        second): a coroutine is run as the actor's task (docs/api.md §9.3); a
        ThespianWatch names the file descriptors to watch until the next
        message; anything else, none."""
        if _is_coroutine(result):
            asyncactor.run(self, result, msg, sender, attempt)
            return
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
        if self.aio is not None and asyncactor.exit_requested(self, msg, sender):
            return  # delivered once the cancelled handler has ended
        self.state = EXITING
        self.received += 1
        self._call_once(msg, sender)
        if msg.isRecursive and self.children:
            self.waiting = set(self.children)
            for child in list(self.children):
                self._reply(ActorAddress(child), ActorExitRequest())
        else:
            self._end()

    def _end(self) -> None:
        """The exit is complete once an async handler still running (an async
        exit handler) and the messages it held are done."""
        if self.aio is not None and asyncactor.unfinished(self):
            return
        self._finish()

    def abandon_async(self) -> None:
        """The actor is ended by force (a base's shutdown gave up waiting):
        cancel its suspended handler, answer the asks it held with a failure."""
        if self.aio is not None:
            asyncactor.abandon(self)

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
            pendingMessages=pending + (len(self.aio.held) if self.aio is not None else 0),
            receivedMessages=self.received,
            pendingWakeups=wakeups,
            governer=None,
            miscKeyVals={
                "sent": self.sent, "failed": self.failed, "globalName": self.globalName,
                "suspended": self.aio is not None and self.aio.task is not None, **misc
            },
            exiting=self.state != LIVE,
            globalName=self.globalName,
            sentMessages=self.sent,
            failedMessages=self.failed,
            pid=os.getpid(),
            uptime=round(time.monotonic() - self.started, 3),
        )

    # -- the actor's own calls the rules own ----------------------------------
    #: The actor's ``await self.ask(...)`` (docs/api.md §9.3): the function
    #: itself, called as a method (one call less on every ask).
    ask = asyncactor.ask

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
                cell._returned(result, msg, sender)
    return True


def _is_coroutine(result: Any) -> bool:
    return result.__class__ is CoroutineType or isinstance(result, Coroutine)


def _unattached(msg: Any, sender: ActorAddress) -> Any:
    raise ActorSystemFailure("message delivered to an actor cell with no actor attached")
