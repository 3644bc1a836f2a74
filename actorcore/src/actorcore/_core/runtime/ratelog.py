"""Log lines about what peers do wrong, at a bounded rate.

A hostile or broken peer can cause a refusal per connection or per
datagram; logging each one would let it fill the disk and spend the
admin's time on writing. Each :class:`RateLimitedLog` lets ``burst`` lines
through per ``period`` seconds and then says how many it held back.
"""
from __future__ import annotations

import logging
import time
from typing import Any


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, period: float = 10.0, burst: int = 20) -> None:
        self.logger = logger
        self.period = period
        self.burst = burst
        self._start = 0.0
        self._count = 0
        self.suppressed = 0  # in the current period
        self.total_suppressed = 0

    def warning(self, msg: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._start >= self.period:
            if self.suppressed:
                self.logger.warning("%d more lines like the above were not logged in the last %.0f s",
                                    self.suppressed, now - self._start)
            self._start, self._count, self.suppressed = now, 0, 0
        if self._count < self.burst:
            self._count += 1
            self.logger.warning(msg, *args)
        else:
            self.suppressed += 1
            self.total_suppressed += 1
