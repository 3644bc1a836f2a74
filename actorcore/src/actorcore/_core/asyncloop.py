"""The asyncio event loop that async actor handlers run on, stepped by the base's own loop.

A base never gives up its loop to asyncio: it calls :meth:`Driver.step` when
it would otherwise wait, learns how long the event loop can sleep, and adds
:meth:`Driver.fileno` to what it waits on (the loop's selector is readable
when the loop has I/O to handle, a thread's ``call_soon_threadsafe``
included). So a transport keeps its own wait, and a plain actor pays for
none of this: the loop is made only when an async handler first runs.

Why a step is "stop, then run_forever": asyncio documents that it then polls
I/O once without blocking, runs what is ready and returns. Whether more is
runnable, and when the next timer falls due, are learnt through the loop's
public ``call_soon`` and ``call_at`` (every wake-up of a task goes through
the one, every timer through the other), not through its private queues.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import os
import selectors
from asyncio import events
from typing import TYPE_CHECKING, Any, Callable, Coroutine

if TYPE_CHECKING:
    from contextvars import Context
    from typing import TypeVarTuple, Unpack

    _Ts = TypeVarTuple("_Ts")

#: Steps in one call of :meth:`Driver.step` before the host gets its turn
#: back (a coroutine spinning on ``asyncio.sleep(0)`` must not starve it).
_MAX_ROUNDS = 200

_log = logging.getLogger("actorcore.asyncio")
_seq = itertools.count()


class _Loop(asyncio.SelectorEventLoop):
    """A selector event loop that notes what its host must know to step it."""

    def __init__(self, selector: selectors.BaseSelector) -> None:
        super().__init__(selector)
        #: set by every call_soon: something became runnable
        self.soon = False
        #: every timer made since its time passed: (when, seq, handle)
        self.timers: list[tuple[float, int, asyncio.TimerHandle]] = []

    def call_soon(
        self, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts], context: Context | None = None
    ) -> asyncio.Handle:
        self.soon = True
        return super().call_soon(callback, *args, context=context)

    def call_at(
        self, when: float, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts],
        context: Context | None = None,
    ) -> asyncio.TimerHandle:
        handle = super().call_at(when, callback, *args, context=context)
        heapq.heappush(self.timers, (when, next(_seq), handle))
        return handle


class Driver:
    """One event loop of this process (made on first use) and the handler
    tasks on it. Not thread-safe: a base steps it from the thread that runs
    its actors (the simple base under its lock)."""

    def __init__(self) -> None:
        self.loop: _Loop | None = None
        self._selector: selectors.BaseSelector | None = None
        #: handler tasks not yet done; while any is, the host keeps stepping
        self.tasks = 0

    def open(self) -> _Loop:
        loop = self.loop
        if loop is None:
            self._selector = selectors.DefaultSelector()
            loop = self.loop = _Loop(self._selector)
        return loop

    def spawn(self, coro: Coroutine[Any, Any, Any], done: Callable[[asyncio.Task[Any]], None]) -> asyncio.Task[Any]:
        """Run ``coro`` as a task; ``done(task)`` once it has finished."""
        task = self.open().create_task(coro)
        self.tasks += 1
        task.add_done_callback(self._done)
        task.add_done_callback(done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks -= 1

    def fileno(self) -> int | None:
        """What to wait on besides the host's own: readable when the loop has
        I/O to handle. None when there is no loop (or the selector has no fd)."""
        selector = self._selector
        if selector is None:
            return None
        fileno = getattr(selector, "fileno", None)
        return fileno() if fileno is not None else None

    def step(self, io: bool = False) -> float | None:
        """Run what is runnable now (``io``: the host saw :meth:`fileno` ready)
        and return the seconds until a timer of the loop falls due (None: no
        timer; only I/O or the host can give it more to do)."""
        loop = self.loop
        if loop is None:
            return None
        rounds = 0
        while io or loop.soon or self._due(loop):
            io = False
            loop.soon = False
            started, seq = loop.time(), next(_seq)
            _one_iteration(loop)
            _forget_run(loop.timers, started, seq)
            rounds += 1
            if rounds >= _MAX_ROUNDS:
                return 0.0
        timers = loop.timers
        if not timers:
            return None
        return max(0.0, timers[0][0] - loop.time())

    @staticmethod
    def _due(loop: _Loop) -> bool:
        timers = loop.timers
        while timers and timers[0][2].cancelled():
            heapq.heappop(timers)
        return bool(timers) and timers[0][0] <= loop.time()

    def close(self, grace: float) -> None:
        """Cancel every task still on the loop, let them run their clean-up
        for up to ``grace`` seconds, then close the loop."""
        loop = self.loop
        if loop is None:
            return
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        deadline = loop.time() + grace
        selector = self._selector
        while any(not t.done() for t in pending):
            left = deadline - loop.time()
            if left <= 0:
                _log.warning("%d asyncio task(s) ignored cancellation; abandoned", sum(not t.done() for t in pending))
                break
            wait = self.step()
            if any(not t.done() for t in pending):
                _wait_io(selector, left if wait is None else min(wait, left))
                self.step(io=True)
        self.loop = self._selector = None
        self.tasks = 0
        try:
            loop.close()
        except Exception:  # a loop closed while something still runs on it: nothing to keep
            _log.debug("closing the asyncio loop failed", exc_info=True)

    def wait(self, seconds: float | None) -> bool:
        """Block up to ``seconds`` (None: until I/O) for the loop's I/O; whether it came."""
        return _wait_io(self._selector, seconds)


def _one_iteration(loop: _Loop) -> None:
    """One non-blocking iteration of ``loop``, also when the calling thread is
    already running another loop (a program that calls a simple system from a
    coroutine): that loop is set aside for the step and restored after it."""
    outer = events._get_running_loop()
    if outer is not None:
        events._set_running_loop(None)
    try:
        loop.stop()
        loop.run_forever()
    finally:
        if outer is not None:
            events._set_running_loop(outer)


def _forget_run(timers: list[tuple[float, int, asyncio.TimerHandle]], started: float, seq: int) -> None:
    """Timers that were due when an iteration started ran in it: drop them.
    (A timer made during the iteration stays, however early it falls due.)"""
    while timers and (timers[0][2].cancelled() or (timers[0][0] <= started and timers[0][1] < seq)):
        heapq.heappop(timers)


def _wait_io(selector: selectors.BaseSelector | None, seconds: float | None) -> bool:
    import select

    fileno = getattr(selector, "fileno", None)
    if fileno is None:  # no fd to wait on: poll, briefly
        import time

        time.sleep(0.01 if seconds is None else min(seconds, 0.01))
        return True
    ready, _, _ = select.select([fileno()], [], [], seconds)
    return bool(ready)


_driver: Driver | None = None
_driver_pid = 0
_abandoned: list[Driver] = []  # a forked child's copy of its parent's loop: never used, never closed


def driver() -> Driver:
    """This process's driver (a forked child gets its own)."""
    global _driver, _driver_pid
    pid = os.getpid()
    if _driver is None or _driver_pid != pid:
        if _driver is not None:
            _abandoned.append(_driver)
        _driver, _driver_pid = Driver(), pid
    return _driver
