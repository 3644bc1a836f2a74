"""Waiting for file descriptors, with a short busy-poll while traffic is flowing.

On virtual machines a process that sleeps in poll() can take 30-80 µs to be
woken; a message exchange made of several hops pays that on every hop. While
messages are arriving close together, a waiter first polls without sleeping
for up to ``ACTORCORE_SPIN_US`` microseconds (default 150, 0 disables),
yielding the CPU between polls; an idle process sleeps at once.
"""
from __future__ import annotations

import logging
import os
import select
import time
from typing import Iterable

_ACTIVE = 0.002  # seconds since the last message during which spinning pays off
_log = logging.getLogger("actorcore.runtime")
_NVAL = select.POLLNVAL


def _spin_seconds() -> float:
    raw = os.environ.get("ACTORCORE_SPIN_US", "150")
    try:
        return max(0.0, float(raw)) / 1e6
    except ValueError:
        return 150e-6


class Poller:
    """A persistent poll set; ``wait`` returns the ready descriptors."""

    def __init__(self) -> None:
        self._poll = select.poll()
        self._fds: set[int] = set()
        self._extra: tuple[int, ...] = ()
        self._last = 0.0
        self.spin = _spin_seconds()

    def add(self, fd: int) -> None:
        if fd not in self._fds:
            self._fds.add(fd)
            self._poll.register(fd, select.POLLIN)

    def discard(self, fd: int) -> None:
        if fd in self._fds:
            self._fds.discard(fd)
            try:
                self._poll.unregister(fd)
            except (KeyError, ValueError):
                pass

    def set_extra(self, fds: Iterable[int]) -> None:
        """Descriptors that come and go with the caller (sentinels, watches).
        Called before every wait: the tuple given last time, given again, is
        known unchanged at once, and a change costs what changed, not the
        product of both sets (an admin of hundreds of actors passes their
        sentinels here, and adds one per create)."""
        if fds is self._extra:
            return
        new = tuple(fds)
        if new == self._extra:
            self._extra = new
            return
        before, after = set(self._extra), set(new)
        for fd in before - after:
            self.discard(fd)
        for fd in new:
            if fd not in before:
                self.add(fd)
        self._extra = new

    def wait(self, timeout: float | None) -> list[int]:
        poll = self._poll.poll
        if self.spin and timeout != 0:
            now = time.perf_counter()
            if now - self._last < _ACTIVE:
                end = now + (self.spin if timeout is None else min(self.spin, timeout))
                yield_ = os.sched_yield
                while True:
                    events = poll(0)
                    if events:
                        ready = [fd for fd, ev in events if not ev & _NVAL]
                        if len(ready) != len(events):
                            self._drop_closed(events)
                        if ready:
                            self._last = time.perf_counter()
                            return ready
                    if time.perf_counter() >= end:
                        break
                    yield_()
                if timeout is not None:
                    timeout = max(0.0, timeout - self.spin)
        events = poll(None if timeout is None else int(timeout * 1000 + 0.999))
        if not events:
            return []
        self._last = time.perf_counter()
        ready = [fd for fd, ev in events if not ev & _NVAL]
        if len(ready) != len(events):
            self._drop_closed(events)
        return ready

    def _drop_closed(self, events: list[tuple[int, int]]) -> None:
        """Stop waiting on the descriptors of ``events`` closed while still
        registered (which wait() leaves out): poll() reports such a one at
        once, every time, so a caller that waits in a loop would spin at
        full CPU (it did: an exiting actor whose signal pipe was closed
        early). Each is said once."""
        for fd, ev in events:
            if ev & _NVAL:
                self.discard(fd)
                if fd in self._extra:
                    self._extra = tuple(f for f in self._extra if f != fd)
                _log.warning("descriptor %d was closed while still waited on; no longer waited on", fd)
