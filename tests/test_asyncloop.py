"""actorcore._core.asyncloop: the event loop a base steps from its own loop (docs/plugins.md)."""
from __future__ import annotations

import asyncio

import pytest

from actorcore._core.asyncloop import Driver

from .helpers import WAIT


def _until_done(driver: Driver, task: asyncio.Task) -> int:
    """Step and wait as a base does; the number of waits it took."""
    waits = 0
    left = driver.step()
    while not task.done():
        assert waits < 100, "the task never finished"
        ready = driver.wait(WAIT if left is None else left)
        left = driver.step(io=ready)
        waits += 1
    return waits


def test_step_runs_what_is_ready_and_tells_when_the_next_timer_is_due():
    driver = Driver()
    try:
        assert driver.step() is None  # no loop yet: nothing to do
        seen = []

        async def work():
            seen.append("started")
            await asyncio.sleep(0.2)
            seen.append("slept")

        task = driver.spawn(work(), lambda t: seen.append("done"))
        assert driver.tasks == 1
        left = driver.step()
        assert seen == ["started"]
        assert left is not None and 0 < left <= 0.2
        _until_done(driver, task)
        assert seen == ["started", "slept", "done"]
        assert driver.tasks == 0
        assert driver.step() is None  # the sleep's timer is forgotten once run
    finally:
        driver.close(1.0)


def test_io_and_threads_wake_the_wait():
    driver = Driver()
    try:
        async def work():
            return await asyncio.to_thread(lambda: 42)

        task = driver.spawn(work(), lambda t: None)
        _until_done(driver, task)
        assert task.result() == 42
    finally:
        driver.close(1.0)


def test_a_step_inside_a_running_loop_leaves_that_loop_running():
    driver = Driver()
    try:
        async def inner():
            await asyncio.sleep(0)
            return "inner"

        async def outer():
            mine = asyncio.get_running_loop()
            task = driver.spawn(inner(), lambda t: None)
            _until_done(driver, task)
            assert asyncio.get_running_loop() is mine
            return task.result()

        assert asyncio.run(outer()) == "inner"
    finally:
        driver.close(1.0)


def test_close_cancels_what_is_still_running():
    driver = Driver()
    cleaned = []

    async def forever():
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.append(True)

    task = driver.spawn(forever(), lambda t: None)
    driver.step()
    driver.close(1.0)
    assert task.cancelled()
    assert cleaned == [True]
    assert driver.loop is None


def test_the_states_asyncactor_knows_are_deliverys():
    from actorcore._core import asyncactor, delivery

    assert (asyncactor._EXITING, asyncactor._DONE) == (delivery.EXITING, delivery.DONE)


def test_each_core_module_imports_first_in_a_fresh_process():
    """An actor process may import any of them first (spawn): no import cycle may bite."""
    import subprocess
    import sys

    for name in ("sysrules", "asyncactor", "delivery", "asyncloop", "runtime.admin", "runtime.manager"):
        done = subprocess.run(
            [sys.executable, "-c", f"import actorcore._core.{name}"],
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, f"{name}: {done.stderr}"



@pytest.mark.parametrize("owns_thread", [False, True])
def test_running_here_is_true_only_inside_a_step_on_this_thread(owns_thread):
    """What await self.ask checks, instead of asyncio._get_running_loop()."""
    import threading

    from actorcore._core.asyncloop import running_here

    driver = Driver(owns_thread=owns_thread)
    loop = driver.open()
    seen: list[bool] = []

    async def look() -> None:
        seen.append(running_here(loop))
        other: list[bool] = []
        t = threading.Thread(target=lambda: other.append(running_here(loop)))
        t.start()
        t.join(WAIT)
        seen.extend(other)

    try:
        task = driver.spawn(look(), lambda t: None)
        assert not running_here(loop)  # made, not being stepped
        _until_done(driver, task)
        assert seen == [True, False]  # inside the step; another thread meanwhile
        assert not running_here(loop)
    finally:
        driver.close(1.0)


def test_resume_runs_a_woken_task_at_once_and_nothing_while_the_loop_is_stepped():
    """What a reply does in an actor process (asyncactor.reply): the task its
    future wakes goes on within the call, as the running loop, with no timer
    or I/O run; inside a step (the reply came from the handler itself) it
    leaves the wake-up to that step."""
    driver = Driver(owns_thread=True)
    loop = driver.open()
    seen: list[object] = []
    futures: list[asyncio.Future] = []

    async def waiter() -> None:
        for _ in range(2):
            fut = loop.create_future()
            futures.append(fut)
            seen.append(("got", await fut, asyncio.get_running_loop() is loop))

    async def nested() -> None:  # resolves the waiter's future and resumes from inside a step
        futures[-1].set_result("inner")
        loop.resume()
        seen.append("nested resume returned")

    try:
        task = driver.spawn(waiter(), lambda t: None)
        driver.step()
        loop.call_later(0, seen.append, "timer")  # due, but no business of resume
        futures[-1].set_result("outer")
        loop.resume()
        assert seen == [("got", "outer", True)]
        assert not loop.is_running()
        driver.spawn(nested(), lambda t: None)
        driver.step()
        assert seen[1] == "nested resume returned"  # the waiter went on after, in that step
        assert ("got", "inner", True) in seen[2:]
        assert task.done() and task.exception() is None
    finally:
        driver.close(1.0)
