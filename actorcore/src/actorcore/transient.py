"""Actors that leave on their own (docs/api.md §1.3; Thespian's ``thespian.transient``).

``@transient(delay)`` exits ``delay`` after its first message;
``@transient_idle(delay)`` exits once ``delay`` has passed without an
ordinary (non-system) message. Neither timer runs before the first message,
so an actor nobody has talked to stays. The exit is an ``ActorExitRequest``
the actor sends itself: it sees it like any other, and its parent gets
``ChildActorExited``. Built on the public actor API only.

    @transient_idle(timedelta(milliseconds=300))
    class Session(Actor): ...
"""
from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Callable

import attrs

from ._core.decorating import Receive, period_seconds, wrap_receive
from .actors import Actor, ActorAddress, ActorExitRequest, ActorSystemMessage, WakeupMessage

__all__ = ["transient", "transient_idle"]


@attrs.frozen
class _ExitTimer:
    """Payload of the helper's own wakeups; the class's code never sees them."""

    kind: str


def transient(exit_delay: timedelta | float = timedelta(seconds=10)) -> Callable[[type], type]:
    """The decorated Actor class exits ``exit_delay`` after it receives its first message."""
    return _exiting("transient", exit_delay, idle=False)


def transient_idle(exit_delay: timedelta | float = timedelta(seconds=10)) -> Callable[[type], type]:
    """The decorated Actor class exits after ``exit_delay`` without a non-system message
    (counted from its first message of any kind)."""
    return _exiting("transient_idle", exit_delay, idle=True)


def _exiting(name: str, exit_delay: Any, idle: bool) -> Callable[[type], type]:
    delay = period_seconds(exit_delay, f"{name} exit_delay")
    payload = _ExitTimer(name)
    state = f"_{name}_deadline"  # monotonic time to leave; absent until the first message

    def make(original: Receive) -> Receive:
        def receiveMessage(self: Actor, message: Any, sender: ActorAddress) -> Any:
            deadline = self.__dict__.get(state)
            if isinstance(message, WakeupMessage) and message.payload == payload:
                if deadline is not None:  # None: leaving already
                    left = deadline - time.monotonic()
                    if left > 0:  # busy since the timer was set (transient_idle)
                        self.wakeupAfter(left, payload=payload)
                    else:
                        setattr(self, state, None)
                        self.send(self.myAddress, ActorExitRequest())
                return None
            if state not in self.__dict__:
                setattr(self, state, time.monotonic() + delay)
                self.wakeupAfter(delay, payload=payload)
            elif idle and deadline is not None and not isinstance(message, ActorSystemMessage):
                setattr(self, state, time.monotonic() + delay)
            return original(self, message, sender)

        return receiveMessage

    return lambda cls: wrap_receive(cls, name, make)
