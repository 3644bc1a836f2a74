"""The asyncio event loop that async actor handlers run on, stepped by the base's own loop.

A base never gives up its loop to asyncio: it calls :meth:`Driver.step` when
it would otherwise wait, learns how long the event loop can sleep, and adds
:meth:`Driver.fileno` to what it waits on (the loop's selector is readable
when the loop has I/O to handle, a thread's ``call_soon_threadsafe``
included). So a transport keeps its own wait, and a plain actor pays for
none of this: the loop is made only when an async handler first runs.

How a step runs the loop: the way Python 3.13 documents for event loops that
live inside another loop (a GUI's): the set-up of ``run_forever``
(``_run_forever_setup`` there), one ``_run_once`` per iteration, its
clean-up. :class:`_Loop` is that subclass; it does the set-up itself (3.10
to 3.12 lack the hook, and a host that owns the loop need not repeat its
checks on every step). Whether anything is runnable is read from
the loop's ready queue and timer heap. When only callbacks are ready (a
reply resolved a future) a round runs them without polling the selector:
the host already waits on its fd and says when there is I/O. (An earlier version stepped through
the public ``stop()`` + ``run_forever()`` and learnt what was runnable by
overriding ``call_soon``/``call_at``: it cost about three times as many
calls per await, which an ``await self.ask`` round trip felt.)
"""
from __future__ import annotations

import asyncio
import logging
import os
import selectors
import sys
import threading
import time
from asyncio import events
from typing import Any, Callable, Coroutine

#: Iterations in one call of :meth:`Driver.step` before the host gets its turn
#: back (a coroutine spinning on ``asyncio.sleep(0)`` must not starve it).
_MAX_ROUNDS = 200
#: Rounds that run only ready callbacks before one polls the selector.
_BLIND_ROUNDS = 16

_log = logging.getLogger("actorcore.asyncio")
#: the clock of BaseEventLoop.time(), called directly on the hot path
_monotonic = time.monotonic


class _Loop(asyncio.SelectorEventLoop):
    """A selector event loop run one iteration at a time by its host."""

    _outer_hooks: Any = None
    _blind = 0  # rounds since the selector was last polled

    def __init__(self, selector: selectors.BaseSelector, owns_thread: bool = False) -> None:
        super().__init__(selector)
        self._hooks = (self._asyncgen_firstiter_hook, self._asyncgen_finalizer_hook)  # type: ignore[attr-defined]
        #: the host's thread runs nothing but the host (an actor process):
        #: the async generator hooks may stay between steps
        self.owns_thread = owns_thread

    def _enter(self) -> None:
        """What ``run_forever`` sets up around its iterations (3.13's
        ``_run_forever_setup``), less the checks a host that owns the loop
        need not repeat on every step."""
        if self._debug:  # type: ignore[attr-defined]
            self._set_coroutine_origin_tracking(True)  # type: ignore[attr-defined]
        hooks = sys.get_asyncgen_hooks()
        if hooks != self._hooks:
            self._outer_hooks = hooks
            sys.set_asyncgen_hooks(*self._hooks)
        self._thread_id = threading.get_ident()
        events._set_running_loop(self)

    def _leave(self) -> None:
        self._stopping = False
        self._thread_id = None  # type: ignore[assignment]
        events._set_running_loop(None)
        if self._debug:  # type: ignore[attr-defined]
            self._set_coroutine_origin_tracking(False)  # type: ignore[attr-defined]
        outer = self._outer_hooks
        if outer is not None:
            self._outer_hooks = None
            if not self.owns_thread or outer != (None, None):
                sys.set_asyncgen_hooks(*outer)

    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> asyncio.Handle:  # type: ignore[override]
        """What a resolved future calls to wake its task, once per reply: without
        the closed check and helper call of BaseEventLoop's (kept in debug mode
        and on a closed loop, whose error they raise)."""
        if self._debug or self._closed:  # type: ignore[attr-defined]
            return super().call_soon(callback, *args, context=context)
        handle = events.Handle(callback, args, self, context)
        self._ready.append(handle)  # type: ignore[attr-defined]
        return handle

    def step(self, io: bool) -> float | None:
        """Run iterations (at least one if ``io``) while a callback is ready
        or a timer due, up to _MAX_ROUNDS; then the seconds until the first
        timer (0.0: stopped at the bound; None: no timer). A cancelled timer
        counts as one: waking for it costs an iteration that drops it, and
        saves scanning the heap."""
        if not io and not self._ready:  # type: ignore[attr-defined]
            scheduled = self._scheduled  # type: ignore[attr-defined]
            if not scheduled:
                return None
            left = scheduled[0]._when - _monotonic()  # self.time(), one call less
            if left > 0:
                return left
        # A program may call a simple system from a coroutine of its own loop:
        # that loop is set aside for the step and restored after it. A thread
        # that runs nothing but its host has no such loop, and is spared the
        # look (on Python 3.10 and 3.11 each look is a getpid() system call).
        outer = None if self.owns_thread else events._get_running_loop()
        if outer is not None:
            events._set_running_loop(None)
        if self._closed:  # type: ignore[attr-defined]
            raise RuntimeError("the actor's event loop is closed")
        self._enter()
        try:
            ready = self._ready  # type: ignore[attr-defined]
            due = not ready  # what brought us here: I/O, ready callbacks, or a timer
            for _ in range(_MAX_ROUNDS):
                if io or due or self._blind >= _BLIND_ROUNDS or self._debug:  # type: ignore[attr-defined]
                    io = False
                    self._blind = 0
                    self._stopping = True  # poll I/O without blocking, as stop() makes run_forever do
                    self._run_once()  # type: ignore[attr-defined]
                else:
                    # Only callbacks are ready: run them without a select (the
                    # host waits on the selector's fd and says when it has I/O;
                    # every _BLIND_ROUNDS-th round selects anyway, for a host
                    # kept too busy to wait).
                    self._blind += 1
                    for _ in range(len(ready)):
                        handle = ready.popleft()
                        if not handle._cancelled:
                            handle._run()
                if ready:
                    continue
                scheduled = self._scheduled  # type: ignore[attr-defined]
                if not scheduled:
                    return None
                left = scheduled[0]._when - _monotonic()
                if left > 0:
                    return left
                due = True
            return 0.0
        finally:
            self._leave()
            if outer is not None:
                events._set_running_loop(outer)

    def resume(self) -> None:
        """Run the callbacks ready now, once, with no timer or I/O: called by
        a host that owns its thread when a reply has just resolved the future
        an ask awaits, so the handler goes on at once rather than after the
        host's turn and a full :meth:`step`. Does nothing while the loop is
        being stepped, or in debug mode (where every round is a full one)."""
        if self._thread_id is not None or self._debug or self._closed:
            return
        ready = self._ready
        self._enter()
        try:
            for _ in range(len(ready)):
                handle = ready.popleft()
                if not handle._cancelled:
                    handle._run()
        finally:
            self._leave()


def running_here(loop: _Loop) -> bool:
    """Whether ``loop`` is being stepped on this thread right now: what
    ``asyncio._get_running_loop() is loop`` says, without its getpid() (3.10, 3.11)."""
    return loop._thread_id == threading.get_ident()


class Driver:
    """One event loop of this process (made on first use) and the handler
    tasks on it. Not thread-safe: a base steps it from the thread that runs
    its actors (the simple base under its lock)."""

    def __init__(self, owns_thread: bool = False) -> None:
        #: see :attr:`_Loop.owns_thread`
        self.owns_thread = owns_thread
        self.loop: _Loop | None = None
        self._selector: selectors.BaseSelector | None = None
        self._fd: int | None = None
        #: handler tasks not yet done; while any is, the host keeps stepping
        self.tasks = 0

    def open(self) -> _Loop:
        loop = self.loop
        if loop is None:
            selector = self._selector = selectors.DefaultSelector()
            loop = self.loop = _Loop(selector, self.owns_thread)
            fileno = getattr(selector, "fileno", None)
            self._fd = fileno() if fileno is not None else None
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
        return self._fd

    def step(self, io: bool = False) -> float | None:
        """Run what is runnable now (``io``: the host saw :meth:`fileno` ready)
        and return the seconds until a timer of the loop falls due (None: no
        timer; only I/O or the host can give it more to do)."""
        loop = self.loop
        return None if loop is None else loop.step(io)

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
        self.loop = self._selector = self._fd = None
        self.tasks = 0
        if sys.get_asyncgen_hooks() == loop._hooks:  # left between steps (owns_thread)
            sys.set_asyncgen_hooks(None, None)
        try:
            loop.close()
        except Exception:  # a loop closed while something still runs on it: nothing to keep
            _log.debug("closing the asyncio loop failed", exc_info=True)

    def wait(self, seconds: float | None) -> bool:
        """Block up to ``seconds`` (None: until I/O) for the loop's I/O; whether it came."""
        return _wait_io(self._selector, seconds)


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
