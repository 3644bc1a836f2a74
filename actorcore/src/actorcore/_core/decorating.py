"""What the helper decorators (troupe, transient, initmsgs) share: wrapping an
actor class's ``receiveMessage`` in place, and reading a period.

Built on the public API only; not a public module itself.
"""
from __future__ import annotations

import math
from datetime import timedelta
from typing import Any, Callable

from ..actors import Actor

Receive = Callable[[Any, Any, Any], Any]


#: Decorators that make no sense on one class (each troupe worker would need
#: every initialising message), and the class attribute marking each.
_EXCLUSIVE = {"troupe": "initializing_messages", "initializing_messages": "troupe"}


def wrap_receive(cls: Any, decorator: str, make: Callable[[Receive], Receive]) -> type:
    """Replace ``cls.receiveMessage`` by ``make(original)``, mark ``cls`` as
    decorated by ``decorator`` and return it.

    The class is changed in place (as Thespian's helpers do) so it keeps its
    module and name, and a multiprocess base still imports it by name.
    Raises ``TypeError`` for a non-Actor, or a combination that cannot work.
    """
    if not (isinstance(cls, type) and issubclass(cls, Actor)):
        raise TypeError(
            f"@{decorator}(...) decorates an Actor subclass, not {cls!r}; "
            f"write @{decorator}() with the parentheses"
        )
    other = _EXCLUSIVE.get(decorator)
    if other is not None and getattr(cls, _mark(other), False):
        raise TypeError(
            f"{cls.__name__} cannot be both @{decorator} and @{other}: "
            "each troupe worker would need every initialising message"
        )
    original = cls.receiveMessage
    wrapper = make(original)
    wrapper.__name__ = "receiveMessage"
    wrapper.__qualname__ = f"{cls.__qualname__}.receiveMessage"
    wrapper.__doc__ = original.__doc__
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(cls, "receiveMessage", wrapper)  # noqa: B010 - typed as a method, replaced by a function
    setattr(cls, _mark(decorator), True)
    return cls


def _mark(decorator: str) -> str:
    return f"_actorcore_{decorator}"


def period_seconds(value: Any, what: str) -> float:
    """``value`` (a ``timedelta`` or a number of seconds, >= 0) as float seconds.

    Raises ``TypeError`` when ``value`` is something else (the usual cause is
    a decorator written without its parentheses) and ``ValueError`` when it is
    negative or not finite.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(
            f"{what} must be a datetime.timedelta or a number of seconds, not {value!r}"
            + ("; write the decorator with its parentheses" if isinstance(value, type) else "")
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{what} must be a finite, non-negative period, not {value!r}")
    return seconds


def whole_number(value: Any, what: str, least: int) -> int:
    """``value`` as an int no smaller than ``least``; TypeError / ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{what} must be a whole number, not {value!r}"
            + ("; write the decorator with its parentheses" if isinstance(value, type) else "")
        )
    if value < least:
        raise ValueError(f"{what} must be at least {least}, not {value}")
    return value
