"""Back-pressure limits and request time limits (docs/api.md §5.9, §3)."""
from __future__ import annotations

import logging
import os
import time
from typing import Any

import attrs

from .. import plugins

CREATE_LIMIT = 50.0
CAPABILITY_LIMIT = 5.0
SOURCE_LIMIT = 61.0
STARTUP_LIMIT = 10.0
TELL_LIMIT = 60.0
EXIT_DRAIN_LIMIT = 5.0  # an exiting actor waits this long at most for the admin's ExitNoted


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
        if value <= 0:
            raise ValueError
        return value
    except ValueError:
        plugins.internal_log(logging.WARNING, f"invalid {name}={raw!r}; using {default}")
        return default


def env_seconds(name: str, default: float, least: float) -> float:
    """Seconds from the environment variable ``name``, at least ``least``;
    ``default`` when it is unset or not a number (transport timings for tests)."""
    try:
        return max(least, float(os.environ.get(name, default)))
    except ValueError:
        return default


def env_minutes_seconds(name: str, default: float) -> float:
    """``"MM:SS"`` (seconds may carry a fraction, ``"00:00.5"``, for tests)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        minutes, _, seconds = raw.partition(":")
        value = int(minutes) * 60 + (float(seconds) if seconds else 0.0)
        if value <= 0:
            raise ValueError
        return value
    except ValueError:
        plugins.internal_log(logging.WARNING, f"invalid {name}={raw!r} (want MM:SS); using default")
        return default


@attrs.frozen
class BackPressure:
    """When ``send`` blocks, unblocks and drops (Thespian's numbers, kept)."""

    in_flight: int = 20
    block_at: int = 950
    unblock_below: int = 780
    drop_at: int = 1050
    transmit_timeout: float = 300.0

    @classmethod
    def from_env(cls) -> BackPressure:
        block = env_int("THESPIAN_MAX_QUEUED_TRANSMITS", 950)
        return cls(
            in_flight=env_int("THESPIAN_MAX_PENDING_TRANSMITS", 20),
            block_at=block,
            unblock_below=env_int("THESPIAN_QUEUED_TRANSMIT_UNBLOCK_THRESHOLD", min(780, block)),
            drop_at=env_int("THESPIAN_DROP_TRANSMITS_LEVEL", block + 100),
            transmit_timeout=env_minutes_seconds("THESPIAN_TRANSMIT_TIMEOUT_PERIOD", 300.0),
        )

    def wait_below(self, transport: Any) -> bool:
        """Block (transmitting only) until the backlog drains; False: give up and drop."""
        if transport.backlog() >= self.drop_at:
            return False
        deadline = time.monotonic() + self.transmit_timeout
        while transport.backlog() >= self.unblock_below:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True
