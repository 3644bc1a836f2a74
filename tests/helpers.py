"""Bounded waiting helpers shared by the behaviour tests (no actors here)."""
from __future__ import annotations

import os
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


def at_once(*calls: Callable[[], Any], timeout: float = WAIT * 3) -> list:
    """Run ``calls`` in threads of their own, released together, and return
    their results in order; a hang or an exception fails the test."""
    import threading

    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(i: int) -> None:
        try:
            start.wait(timeout)
            results[i] = calls[i]()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a call hung"
    assert not errors, errors
    return results


def most_at_once(events: list) -> int:
    """From ("start", who) / ("end", who) reports in order: the most running at once."""
    running: list = []
    most = 0
    for what, who in events:
        if what == "start":
            running.append(who)
            most = max(most, len(running))
        else:
            running.remove(who)
    return most


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets process ``pid`` holds (to find them in
    /proc/net/unix, /proc/net/udp and the like)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes
