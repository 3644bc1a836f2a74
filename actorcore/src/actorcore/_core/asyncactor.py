"""Async handlers and ``await self.ask(...)`` inside actors (docs/api.md §9.3,
docs/asyncio.md), written once for every base: :class:`~.delivery.ActorCell`
calls in here; a base only steps the event loop (:mod:`.asyncloop`).

An actor whose handler returned a coroutine is *suspended* until the
coroutine's task ends: its receive is swapped for a hold, so what arrives
meanwhile waits in order (one message at a time, state needs no locks) while
other actors, timers and I/O go on. Two things pass the hold: an
ActorExitRequest (it cancels the task, then is delivered) and a reply to one
of the actor's own asks (it resolves the waiting future directly).

An ask travels as :class:`AskRequest` (a token and the chain of actors
waiting on it); the target's handler sees the inner message, and while it
handles it every message it sends back to the asker goes as
:class:`AskReply` with that token. Plain actors never see either.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
import traceback
from collections import deque
from typing import TYPE_CHECKING, Any, Awaitable, Coroutine

import attrs

from .addresses import ActorAddress
from .asyncloop import Driver, driver
from .errors import ActorSystemFailure, ActorSystemRequestTimeout, InvalidActorAddress
from .messages import ActorSystemMessage, PoisonMessage
from .timeouts import to_seconds

if TYPE_CHECKING:
    from .delivery import ActorCell

# delivery.py's actor states (delivery imports this module, and sysrules, which
# delivery imports, does too: importing delivery here would be a cycle)
_EXITING, _DONE = 1, 2

#: The attempt number of a message an exiting actor gets: one attempt, no PoisonMessage.
ONCE = 0

#: Seconds a cancelled handler may take to end before its exit request is delivered anyway.
CANCEL_GRACE = 3.0

_log = logging.getLogger("actorcore.asyncio")
_monotonic = time.monotonic
#: Timeouts up to this many seconds are used as given (larger ones mean no limit: to_seconds).
_PLAIN_MAX = 1e9
_tokens = itertools.count(1)
_get_ident = threading.get_ident
_Future = asyncio.Future


@attrs.define
class AskRequest(ActorSystemMessage):
    """``message``, sent by ``await self.ask``; ``chain``: the actors already
    waiting on the asker, outermost first (for naming a cycle of asks; the
    asker is the envelope's sender)."""

    token: int
    message: Any
    chain: tuple[ActorAddress, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        # by position: attrs' slotted pickling builds and reads a dict each way
        return AskRequest, (self.token, self.message, self.chain)


@attrs.define
class AskReply(ActorSystemMessage):
    """What the target sent back while handling request ``token``; or, with
    ``failure``, why the request will never be answered."""

    token: int
    message: Any
    failure: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return AskReply, (self.token, self.message, self.failure)


class _Replying:
    """The context of an actor whose class overrides ``send`` while it handles
    an ask: its sends (through ``Actor.send``) are checked for the asker."""

    __slots__ = ("_cell", "send")

    def __init__(self, cell: ActorCell, send: Any) -> None:
        self._cell = cell
        self.send = send

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cell, name)


class AsyncState:
    """One actor's async side, made the first time it needs one."""

    __slots__ = (
        "cell", "actor", "own_send", "bound_reply_send", "bound_cell_send", "driver", "task", "held", "msg", "sender", "attempt", "receive",
        "asks", "alarm", "alarm_at", "asker", "token", "chain", "exit", "grace", "finish",
    )

    def __init__(self, cell: ActorCell) -> None:
        self.cell = cell
        self.actor: Any = getattr(cell.receive, "__self__", None)
        # the cell put its own send on the instance (a class that does not
        # override send): swapped for the reply's while an ask is handled
        self.own_send = self.actor is not None and "send" in vars(self.actor)
        self.bound_reply_send, self.bound_cell_send = self.reply_send, cell.send  # made once, not per ask
        self.driver: Driver = driver()
        self.task: asyncio.Task[Any] | None = None
        self.held: deque[tuple[Any, ActorAddress]] = deque()
        self.msg: Any = None
        self.sender: Any = None
        self.attempt = 1
        self.receive = cell.receive
        #: token -> (future, target, deadline on the loop's clock or None, timeout)
        self.asks: dict[int, tuple[asyncio.Future[Any], ActorAddress, float | None, float | None]] = {}
        #: one timer for every ask's timeout, at the earliest deadline: a timer
        #: made and cancelled per ask cost more than the rest of the await
        self.alarm: asyncio.TimerHandle | None = None
        self.alarm_at = 0.0
        self.asker: ActorAddress | None = None  # while handling an ask: who waits
        self.token = 0
        self.chain: tuple[ActorAddress, ...] = ()
        self.exit: tuple[Any, ActorAddress] | None = None  # an exit request waiting for the cancel
        self.grace: asyncio.TimerHandle | None = None
        self.finish = False  # the actor is done once the task and what it held are

    # -- holding -----------------------------------------------------------------
    def hold(self, msg: Any, sender: ActorAddress) -> None:
        """The actor's receive while its handler is suspended."""
        self.held.append((msg, sender))

    def replay(self) -> None:
        """Deliver what was held, in order, until a handler suspends again."""
        cell, held = self.cell, self.held
        while held and self.task is None and cell.state != _DONE:
            msg, sender = held.popleft()
            if msg.__class__ is AskRequest:
                request(cell, msg, sender)
            else:
                cell._redeliver(msg, sender)
        if self.finish and self.task is None and not held and cell.state == _EXITING:
            self.finish = False
            cell._finish()

    # -- handling an ask -----------------------------------------------------------
    def enter(self, asker: ActorAddress, token: int, chain: tuple[ActorAddress, ...]) -> None:
        self.asker, self.token, self.chain = asker, token, chain
        actor = self.actor
        if actor is None:
            return
        if self.own_send:
            actor.send = self.bound_reply_send
        else:
            actor._ctx = _Replying(self.cell, self.reply_send)

    def leave(self) -> None:
        if self.asker is None:
            return
        self.asker, self.chain = None, ()
        actor = self.actor
        if actor is None:
            return
        if self.own_send:
            actor.send = self.bound_cell_send
        else:
            actor._ctx = self.cell

    def reply_send(self, target: ActorAddress, msg: Any) -> None:
        """The actor's send while it handles an ask: to the asker, as the reply."""
        asker = self.asker
        # a handler answers the ``sender`` it was given: the asker object itself
        if asker is not None and (target is asker or target == asker):
            msg = AskReply(self.token, msg)
        self.cell.send(target, msg)

    def refuse_held(self, why: str) -> None:
        """The actor exits with messages held: an ask among them is answered
        with ``why`` (its asker need not wait out its timeout); the rest are
        discarded, as what reaches an exiting actor is (docs/api.md §4.1)."""
        cell = self.cell
        for msg, sender in self.held:
            if msg.__class__ is AskRequest:
                cell._reply(sender, AskReply(msg.token, None, why))
            else:
                cell._actor_log().debug("discarded while exiting: %r", msg)
        self.held.clear()

    # -- the task ------------------------------------------------------------------
    def finished(self, task: asyncio.Task[Any]) -> None:
        """The handler's task ended (done callback): its outcome, then what waited."""
        if task is not self.task:
            return  # given up on at exit (it ignored its cancellation)
        cell = self.cell
        self.task = None
        cell.receive = self.receive
        if self.grace is not None:
            self.grace.cancel()
            self.grace = None
        if cell.state == _DONE:
            return
        if self.exit is not None:
            self._exit_now()
            return
        msg, sender, attempt = self.msg, self.sender, self.attempt
        self.msg = self.sender = None
        if task.cancelled():
            cell._actor_log().info("%s: handler of %r was cancelled", cell.cls.__name__, msg)
        else:
            exc = task.exception()
            if exc is None:
                cell._returned(task.result(), msg, sender)
            elif attempt == ONCE:
                cell._actor_log().error(
                    "%s failed on %r", cell.cls.__name__, msg, exc_info=exc)
            elif attempt == 1:
                cell._retry(msg, sender, exc)
            else:
                cell._poisoned(msg, sender, exc)
        if self.task is None:  # not retried by a second suspended attempt
            self.leave()
            self.replay()

    def _exit_now(self) -> None:
        """The cancelled handler has ended: the exit request goes in now."""
        assert self.exit is not None
        msg, sender = self.exit
        self.exit = None
        cell = self.cell
        if self.asker is not None:
            cell._reply(self.asker, AskReply(
                self.token, None, f"{cell.address} exited while handling the request"))
        self.leave()
        self.msg = self.sender = None
        self.refuse_held(f"{cell.address} exited before handling the request")
        cell._exit_request(msg, sender)
        self.replay()

    def give_up(self) -> None:
        """A cancelled handler still runs after CANCEL_GRACE: exit without it."""
        self.grace = None
        task = self.task
        if task is None or task.done():
            return
        self.cell._actor_log().error(
            "%s: handler of %r ignored its cancellation for %.0fs; the actor exits anyway",
            self.cell.cls.__name__, self.msg, CANCEL_GRACE,
        )
        self.task = None
        self.cell.receive = self.receive
        self._exit_now()


def state(cell: ActorCell) -> AsyncState:
    st = cell.aio
    if st is None:
        st = cell.aio = AsyncState(cell)
    return st


def run(cell: ActorCell, coro: Coroutine[Any, Any, Any], msg: Any, sender: ActorAddress, attempt: int) -> None:
    """A handler returned ``coro``: run it as the actor's task, holding what comes meanwhile."""
    st = state(cell)
    if st.task is not None:  # cannot happen through the rules: the hold takes every message
        coro.close()
        raise ActorSystemFailure(f"{cell.address}: a second handler started while one is suspended")
    st.msg, st.sender, st.attempt = msg, sender, attempt
    st.receive = cell.receive
    cell.receive = st.hold
    cell.watch = ()  # a ThespianWatch lasts until the next message; the coroutine is the answer
    st.task = st.driver.spawn(coro, st.finished)


def suspended(cell: ActorCell) -> bool:
    st = cell.aio
    return st is not None and st.task is not None


def exit_requested(cell: ActorCell, msg: Any, sender: ActorAddress) -> bool:
    """An exit request reached a suspended actor: cancel its handler; the
    request is delivered once the handler has ended. False if not suspended."""
    st = cell.aio
    if st is None or st.task is None:
        return False
    if st.exit is None:  # a second request while the first waits is ignored
        st.exit = (msg, sender)
        st.task.cancel()
        st.grace = st.driver.open().call_later(CANCEL_GRACE, st.give_up)
    return True


def unfinished(cell: ActorCell) -> bool:
    """Whether an exiting actor still has a handler running or messages held."""
    st = cell.aio
    if st is None or (st.task is None and not st.held):
        return False
    st.finish = True
    return True


def abandon(cell: ActorCell) -> None:
    """The actor is ended by force: cancel its handler, refuse what it held."""
    st = cell.aio
    if st is None:
        return
    task, st.task = st.task, None
    if task is not None:
        cell.receive = st.receive
        task.cancel()
    st.refuse_held(f"{cell.address} ended before handling the request")


# -- asks ----------------------------------------------------------------------------
def request(cell: ActorCell, req: AskRequest, sender: ActorAddress) -> None:
    """An ask reached ``cell``: its handler sees ``req.message``; what it
    sends back to ``sender`` meanwhile is the reply."""
    asked(cell, req.token, req.message, req.chain, sender, req)


def asked(cell: ActorCell, token: int, message: Any, chain: tuple[ActorAddress, ...],
          sender: ActorAddress, req: AskRequest | None = None) -> None:
    """:func:`request` from the request's parts, as a process reads them off
    the wire (``req``: the request itself, if there is one already; one is
    made only to be held)."""
    st = cell.aio or state(cell)
    if st.task is not None:
        st.held.append((req or AskRequest(token, message, chain), sender))  # one message at a time
        return
    if cell.state:
        cell._reply(sender, AskReply(token, None, f"{cell.address} is exiting"))
        return
    st.enter(sender, token, (*chain, sender) if chain else (sender,))
    try:
        cell.deliver(message, sender)
    finally:
        if st.task is None:
            st.leave()


def reply(cell: ActorCell, rep: AskReply, sender: ActorAddress) -> None:
    """A reply goes straight to the waiting ask; one whose ask is over (timed
    out, or already answered) is an ordinary message, in mailbox order."""
    answered(cell, rep.token, rep.message, rep.failure, sender)


def answered(cell: ActorCell, token: int, message: Any, failure: str | None, sender: ActorAddress) -> None:
    """:func:`reply` from the reply's parts, as a process reads them off the wire."""
    st = cell.aio
    pending = st.asks.get(token) if st is not None else None
    if pending is not None and not pending[0].done():
        if failure is None:
            pending[0].set_result(message)
        else:
            pending[0].set_exception(ActorSystemFailure(f"ask of {pending[1]} failed: {failure}"))
        loop = st.driver.loop  # type: ignore[union-attr]
        if loop is not None and loop.owns_thread:
            loop.resume()  # the handler goes on now: nothing else of the actor's can run meanwhile
        return
    if failure is not None:
        _log.debug("%s: failure of an ask already over: %s", cell.address, failure)
        return
    _log.debug("%s: reply to an ask already over, delivered as a message: %r", cell.address, message)
    cell.deliver(message, sender)


def bounced(cell: ActorCell, poison: PoisonMessage) -> None:
    """An ask's request came back undelivered (cannot be pickled, too big, a
    system out of reach): the ask fails at once with the reason."""
    req = poison.poisonMessage
    st = cell.aio
    pending = st.asks.get(req.token) if st is not None else None
    if pending is not None and not pending[0].done():
        pending[0].set_exception(
            ActorSystemFailure(f"ask of {pending[1]} failed: the request was not sent: {poison.details}"))
    else:
        _log.warning("%s: request of an ask already over came back: %s", cell.address, poison.details)


def as_reply(cell: ActorCell, target: ActorAddress, msg: Any) -> Any:
    """``msg`` as the rules send it to ``target``: the reply, if ``target`` is
    waiting on an ask this actor is handling."""
    st = cell.aio
    if st is not None and st.asker is not None and target == st.asker:
        return AskReply(st.token, msg)
    return msg


def ask(cell: ActorCell, targetAddr: Any, msg: Any, timeout: Any = None) -> Awaitable[Any]:
    """``await self.ask(...)``: the checks are made at the call, the wait is awaited."""
    if targetAddr.__class__ is not ActorAddress and not isinstance(targetAddr, ActorAddress):
        raise InvalidActorAddress(targetAddr, "ask needs an ActorAddress as target")
    cls = timeout.__class__
    if (cls is float or cls is int) and 0 <= timeout <= _PLAIN_MAX:
        seconds: float | None = timeout  # the common case, without a call
    else:
        seconds = to_seconds(timeout, "ask timeout")
    st = cell.aio
    loop = st.driver.loop if st is not None else None
    # running_here(loop), inlined: once per ask
    if st is None or st.task is None or loop is None or loop._thread_id != _get_ident():
        raise TypeError(
            "self.ask() is awaited inside an async handler: make the handler "
            "(receiveMessage or receiveMsg_X) `async def` and write `reply = await self.ask(...)`"
        )
    token = next(_tokens)
    future: asyncio.Future[Any] = _Future(loop=loop)  # loop.create_future(), one call less
    deadline = None
    if seconds is not None:
        deadline = _monotonic() + seconds  # the loop's clock (BaseEventLoop.time), one call less
        if st.alarm is None or deadline < st.alarm_at:
            _arm(st, loop, deadline)
    st.asks[token] = (future, targetAddr, deadline, seconds)
    # the asker itself is the envelope's sender: the chain leaves it out (an
    # address costs as much to pickle as the rest of the request)
    cell.send(targetAddr, AskRequest(token, msg, st.chain))
    return _answer(st.asks, token, future)


async def _answer(asks: dict[int, Any], token: int, future: asyncio.Future[Any]) -> Any:
    try:
        return await future
    finally:
        asks.pop(token, None)


def _arm(st: AsyncState, loop: asyncio.AbstractEventLoop, when: float) -> None:
    if st.alarm is not None:
        st.alarm.cancel()
    st.alarm, st.alarm_at = loop.call_at(when, _ring, st, loop), when


def _ring(st: AsyncState, loop: asyncio.AbstractEventLoop) -> None:
    """The earliest deadline has come: fail every ask past its own, and wait
    for the next one still open."""
    st.alarm = None
    now, upcoming = loop.time(), None
    for future, target, deadline, seconds in list(st.asks.values()):
        if deadline is None or future.done():
            continue
        if deadline <= now:
            assert seconds is not None
            future.set_exception(ActorSystemRequestTimeout(_timed_out(st, target, seconds)))
        elif upcoming is None or deadline < upcoming:
            upcoming = deadline
    if upcoming is not None:
        _arm(st, loop, upcoming)


def _timed_out(st: AsyncState, target: ActorAddress, seconds: float) -> str:
    me = st.cell.address
    text = f"ask of {target} by {me} got no reply within {seconds:g}s"
    cycle = _cycle(st, target)
    if cycle:
        text += (
            "; deadlock: " + " -> ".join(str(a) for a in cycle) + " (each awaits an ask of the "
            "next, and an actor handles one message at a time; see docs/asyncio.md)"
        )
    return text


def _cycle(st: AsyncState, target: ActorAddress) -> tuple[ActorAddress, ...] | None:
    """The cycle of asks this one closes, if this actor can see it: its target
    already waits (earlier in its own chain), or a request held here comes
    from a chain this actor is part of."""
    me = st.cell.address
    out = (*st.chain, me)
    for i, addr in enumerate(out):
        if addr == target:
            return (*out[i:], target)
    for msg, sender in st.held:
        if msg.__class__ is AskRequest:
            chain = (*msg.chain, sender)
            for i, addr in enumerate(chain):
                if addr == me:
                    return (*chain[i:], me)
    return None


def details(exc: BaseException) -> str:
    """A failure's text for PoisonMessage.details, as a plain handler's would read."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
