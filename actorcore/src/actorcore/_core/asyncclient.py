"""``await asys.ask_async(...)``: asks from a running event loop (docs/asyncio.md).

Each ask gets an endpoint of its own, so its reply is, exactly as for
``ask``, the next message to that endpoint — from the target, or from whoever
the target passed the request on to — and concurrent asks never see each
other's replies. The request travels as an ask (:class:`~.asyncactor.AskRequest`),
so a dead target answers at once instead of leaving the caller to its
timeout.

A base that can say when an endpoint receives (an optional ``watch(endpoint,
ready)`` / ``unwatch(endpoint)``; the multiprocess runtime has them) lets
every ask of a loop wait on the loop itself, with one reading thread per
system however many asks are out. Any other base answers its asks one at a
time on one worker thread per system: the simple base runs its actors in
the calling thread, so that thread is where they run while the loop goes on.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from .addresses import ActorAddress
from .asyncactor import AskReply, AskRequest
from .base import NOTHING, SystemBase
from .errors import ActorSystemFailure
from .messages import PoisonMessage

#: Worker threads of bases without ``watch``, by system; shut down with it.
_workers: weakref.WeakKeyDictionary[Any, ThreadPoolExecutor] = weakref.WeakKeyDictionary()
_workers_lock = threading.Lock()
#: Tokens of outside asks: the endpoint, one per ask, is what pairs a reply
#: with its ask; the token only has to be there.
_tokens = itertools.count(1)
#: Seconds a worker waits before looking whether its caller still waits.
_SLICE = 0.5


async def ask_async(
    base: SystemBase[Any],
    target: ActorAddress,
    msg: Any,
    seconds: float | None,
    wanted: Callable[[Any], bool],
) -> Any:
    """The reply to ``msg``, as ``ask`` would return it (None on timeout);
    ActorSystemFailure if the target is known to be gone."""
    watch = getattr(base, "watch", None)
    if watch is None:
        # A base that runs its actors in the caller's thread (``tell_now``,
        # the simple base) answers most asks right here, with no coroutine
        # or thread of their own: the request is handed over and the actors
        # run until idle. Only a reply that needs more (a wakeup, a
        # suspended handler, the system busy in another thread) is waited
        # for on the system's worker thread.
        endpoint = base.open_endpoint()
        try:
            request = AskRequest(next(_tokens), msg, ())
            tell_now = getattr(base, "tell_now", None)
            sent, got = tell_now(endpoint, target, request) if tell_now is not None else (False, NOTHING)
            if got is not NOTHING:
                reply = _reply(got, target, wanted)
                if reply is not NOTHING:
                    return reply
            # the loop is looked up only here: on Python 3.10 and 3.11 that
            # is a getpid() system call, and most asks never get this far
            return await _wait_in_thread(asyncio.get_running_loop(), base, endpoint,
                                         None if sent else (target, request), target, seconds, wanted)
        finally:
            endpoint.close()
    loop = asyncio.get_running_loop()
    wakeups = _wakeups_of(loop)
    endpoint = base.open_endpoint()
    watch(endpoint, wakeups.ready_for(endpoint))
    timer = None
    try:
        base.tell(endpoint, target, AskRequest(next(_tokens), msg, ()))
        if seconds is not None:
            # one timer for the ask, failing its current wait: asyncio.wait_for
            # would add a waiter future and a loop iteration to every wake-up
            timer = loop.call_later(seconds, wakeups.expire, endpoint)
        while True:
            arrived = wakeups.expect(endpoint)
            got = base.receive(endpoint, 0)
            while got is not NOTHING:
                reply = _reply(got, target, wanted)
                if reply is not NOTHING:
                    return reply
                got = base.receive(endpoint, 0)
            if endpoint in wakeups.expired:
                return None
            await arrived
    finally:
        if timer is not None:
            timer.cancel()
        wakeups.forget(endpoint)
        base.unwatch(endpoint)  # type: ignore[attr-defined]
        endpoint.close()


async def _wait_in_thread(
    loop: asyncio.AbstractEventLoop, base: SystemBase[Any], endpoint: Any,
    send: tuple[ActorAddress, AskRequest] | None, target: ActorAddress,
    seconds: float | None, wanted: Callable[[Any], bool],
) -> Any:
    """The reply, waited for on the system's worker thread (which first sends
    the request, if ``send``)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    over = threading.Event()  # the caller stopped waiting (cancelled): the worker stops too
    try:
        return await loop.run_in_executor(
            _worker(base), _ask_blocking, base, endpoint, send, target, deadline, wanted, over)
    finally:
        over.set()


class _Wakeups:
    """The endpoints of one event loop's asks that have received, handed to
    the loop in batches: one ``call_soon_threadsafe`` per batch, not per message
    (each is a write to the loop's wake-up pipe)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[Any, asyncio.Future[None]] = {}
        self.ready: list[Any] = []
        self.lock = threading.Lock()
        self.scheduled = False
        #: endpoints whose ask timed out (its timer fired)
        self.expired: set[Any] = set()

    def ready_for(self, endpoint: Any) -> Callable[[], None]:
        def ready() -> None:  # any thread
            with self.lock:
                self.ready.append(endpoint)
                if self.scheduled:
                    return
                self.scheduled = True
            try:
                self.loop.call_soon_threadsafe(self._wake)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        return ready

    def expect(self, endpoint: Any) -> asyncio.Future[None]:
        fut = self.waiting[endpoint] = self.loop.create_future()
        return fut

    def forget(self, endpoint: Any) -> None:
        self.waiting.pop(endpoint, None)
        self.expired.discard(endpoint)

    def expire(self, endpoint: Any) -> None:
        """The ask's time is up (a timer, on the loop): its wait ends."""
        self.expired.add(endpoint)
        fut = self.waiting.get(endpoint)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def _wake(self) -> None:
        with self.lock:
            ready, self.ready, self.scheduled = self.ready, [], False
        for endpoint in ready:
            fut = self.waiting.get(endpoint)
            if fut is not None and not fut.done():
                fut.set_result(None)


_loop_wakeups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Wakeups] = weakref.WeakKeyDictionary()


def _wakeups_of(loop: asyncio.AbstractEventLoop) -> _Wakeups:
    wakeups = _loop_wakeups.get(loop)
    if wakeups is None:
        wakeups = _loop_wakeups[loop] = _Wakeups(loop)
    return wakeups


def _reply(got: Any, target: ActorAddress, wanted: Callable[[Any], bool]) -> Any:
    """What the caller gets for one message to its endpoint; NOTHING to keep waiting."""
    if got.__class__ is AskReply:
        if got.failure is not None:
            raise ActorSystemFailure(f"ask of {target} failed: {got.failure}")
        got = got.message
    elif got.__class__ is PoisonMessage and got.poisonMessage.__class__ is AskRequest:
        # the request could not leave (cannot be pickled, too big): as ask says it
        got = PoisonMessage(got.poisonMessage.message, got.details)
    return got if wanted(got) else NOTHING


def _ask_blocking(
    base: SystemBase[Any], endpoint: Any, send: tuple[ActorAddress, AskRequest] | None,
    target: ActorAddress, deadline: float | None, wanted: Callable[[Any], bool], over: threading.Event,
) -> Any:
    if send is not None:
        base.tell(endpoint, *send)
    while not over.is_set():
        left = _SLICE if deadline is None else min(_SLICE, deadline - time.monotonic())
        if left < 0:
            return None
        got = base.receive(endpoint, left)
        if got is not NOTHING:
            reply = _reply(got, target, wanted)
            if reply is not NOTHING:
                return reply
    return None


def _worker(base: Any) -> ThreadPoolExecutor:
    with _workers_lock:
        pool = _workers.get(base)
        if pool is None:
            pool = _workers[base] = ThreadPoolExecutor(1, thread_name_prefix="actorcore-ask_async")
        return pool


def release(base: Any) -> None:
    """The system is shutting down: its worker thread (if any) ends."""
    with _workers_lock:
        pool = _workers.pop(base, None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
