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


async def ask_async(
    base: SystemBase[Any],
    target: ActorAddress,
    msg: Any,
    seconds: float | None,
    wanted: Callable[[Any], bool],
) -> Any:
    """The reply to ``msg``, as ``ask`` would return it (None on timeout);
    ActorSystemFailure if the target is known to be gone."""
    loop = asyncio.get_running_loop()
    watch = getattr(base, "watch", None)
    if watch is None:
        return await loop.run_in_executor(_worker(base), _ask_blocking, base, target, msg, seconds, wanted)
    wakeups = _wakeups_of(loop)
    endpoint = base.open_endpoint()
    watch(endpoint, wakeups.ready_for(endpoint))
    try:
        base.tell(endpoint, target, AskRequest(next(_tokens), msg, ()))
        deadline = None if seconds is None else loop.time() + seconds
        while True:
            arrived = wakeups.expect(endpoint)
            got = base.receive(endpoint, 0)
            while got is not NOTHING:
                reply = _reply(got, target, wanted)
                if reply is not NOTHING:
                    return reply
                got = base.receive(endpoint, 0)
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return None
            try:
                await asyncio.wait_for(arrived, left)  # a future: no task per wait
            except asyncio.TimeoutError:
                return None
    finally:
        wakeups.forget(endpoint)
        base.unwatch(endpoint)  # type: ignore[attr-defined]
        endpoint.close()


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
    base: SystemBase[Any], target: ActorAddress, msg: Any, seconds: float | None,
    wanted: Callable[[Any], bool],
) -> Any:
    endpoint = base.open_endpoint()
    try:
        base.tell(endpoint, target, AskRequest(next(_tokens), msg, ()))
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            got = base.receive(endpoint, left)
            if got is NOTHING:
                return None
            reply = _reply(got, target, wanted)
            if reply is not NOTHING:
                return reply
    finally:
        endpoint.close()


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
