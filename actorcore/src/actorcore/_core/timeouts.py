"""Turning user-given timeouts and periods into seconds (docs/api.md §3.10)."""
from __future__ import annotations

import math
import threading
from datetime import timedelta
from typing import Any, Union

Timeout = Union[timedelta, int, float, None]  # noqa: UP007 - a runtime alias; `|` needs 3.10 at runtime too


def to_seconds(value: Any, what: str = "timeout", allow_none: bool = True) -> float | None:
    """Seconds as a float, or None for "no limit".

    Accepts ``timedelta``, ``int`` or ``float``; negative values act as zero,
    and values too large for the OS to wait on (or infinity) mean no limit.
    Raises ``TypeError`` for other types and ``ValueError`` for NaN.
    """
    if value.__class__ is float or value.__class__ is int:  # the common cases, cheaply
        if 0 <= value <= threading.TIMEOUT_MAX:
            return float(value)
    elif value.__class__ is timedelta:
        seconds = value.total_seconds()
        if 0 <= seconds <= threading.TIMEOUT_MAX:
            return seconds
    if value is None:
        if allow_none:
            return None
        raise TypeError(f"{what} must be a timedelta or a number of seconds, not None")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(
            f"{what} must be a datetime.timedelta or a number of seconds, "
            f"not {type(value).__name__}"
        )
    if math.isnan(seconds):
        raise ValueError(f"{what} must be a number of seconds, not NaN")
    if seconds < 0:
        return 0.0
    if seconds > threading.TIMEOUT_MAX:
        if allow_none:
            return None
        return float(threading.TIMEOUT_MAX)
    return seconds
