"""Bounded waiting helpers shared by the behaviour tests (no actors here)."""
from __future__ import annotations

import time
from typing import Any, Callable

#: Upper bound for any single wait; a hang fails the test instead.
WAIT = 10.0


def poll(asys: Any, addr: Any, msg: Any, pred: Callable[[Any], bool], timeout: float = WAIT) -> Any:
    """Ask ``addr`` ``msg`` until ``pred(reply)`` holds or ``timeout`` passes.

    Returns the last reply (the caller asserts on it, so a timeout fails).
    """
    deadline = time.monotonic() + timeout
    reply = None
    while True:
        reply = asys.ask(addr, msg, 2)
        if reply is not None and pred(reply):
            return reply
        if time.monotonic() > deadline:
            return reply
        time.sleep(0.05)


def collected(asys: Any, collector: Any, pred: Callable[[list], bool], timeout: float = WAIT) -> list:
    """The list held by a ``Collector`` once ``pred(list)`` holds (or at timeout)."""
    got = poll(asys, collector, GET, lambda r: isinstance(r, list) and pred(r), timeout)
    assert isinstance(got, list), f"collector did not answer: {got!r}"
    return got


def settle(asys: Any, seconds: float = 0.5) -> None:
    """Let the system run for a while (drives the simple base's wakeups)."""
    asys.listen(seconds)


GET = ("collector:get",)
