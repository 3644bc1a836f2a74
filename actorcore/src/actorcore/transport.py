"""The transport protocol: moves envelopes between endpoints, knows nothing of actors.

A transport belongs to one process (admin, actor or client). The shared
multiprocess runtime waits on it, hands it envelopes to send, and asks it
for its own address; how the bytes move is the transport's business.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

import attrs


@attrs.frozen(slots=True)
class Envelope:
    """One message in flight: target and sender address details and the payload."""

    target: Any
    sender: Any
    message: Any


class Transport(Protocol):
    """What a base's transport offers the runtime."""

    #: This process's own address details (used for ActorAddress).
    address: Any

    def send(self, envelope: Envelope, on_failure: Callable[[Envelope, str], None]) -> None:
        """Queue ``envelope``; ``on_failure`` is called if it can never be delivered."""

    def run(self, handler: Callable[[Envelope], None], timeout: float | None) -> None:
        """Deliver received envelopes to ``handler`` until ``timeout`` or :meth:`wake`."""

    def wake(self) -> None:
        """Make a running :meth:`run` return soon (thread-safe)."""

    def close(self) -> None:
        """Release sockets/queues; pending sends are abandoned."""
