"""Pending wakeups of one actor, in due-time order."""
from __future__ import annotations

import heapq
import itertools
import threading
import time

from ..messages import WakeupMessage


class Timers:
    """A thread-safe heap of wakeups (``wakeupAfter`` may be called from other threads)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, WakeupMessage]] = []
        #: truthy while a wakeup is pending: a plain attribute, since the
        #: actor loop looks at it for every message (``len()`` is a call)
        self.pending = self._heap
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def add(self, seconds: float, wakeup: WakeupMessage) -> None:
        with self._lock:
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._seq), wakeup))

    def next_timeout(self, cap: float) -> float:
        """Seconds until the next wakeup is due, at most ``cap``."""
        with self._lock:
            if not self._heap:
                return cap
            return max(0.0, min(cap, self._heap[0][0] - time.monotonic()))

    def due(self) -> list[WakeupMessage]:
        now = time.monotonic()
        out: list[WakeupMessage] = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                out.append(heapq.heappop(self._heap)[2])
        return out

    def __len__(self) -> int:
        return len(self._heap)
