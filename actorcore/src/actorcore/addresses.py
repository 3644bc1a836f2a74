"""ActorAddress: the opaque, comparable, unhashable handle on an actor.

It knows nothing of transports beyond holding their opaque ``addressDetails``.
"""
from __future__ import annotations

from typing import Any, Callable

#: Set by the plugin manager: turns ``addressDetails`` into display text.
_formatter: Callable[[Any], str] = str


class ActorAddress:
    """Where an actor (or an external endpoint, or an admin) receives messages.

    Created only by the system. ``==`` compares the target; comparison with
    anything that is not an address is ``False``. Not hashable: use
    ``str(addr)`` as a key where a string is good enough.
    """

    __slots__ = ("addressDetails", "_text")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, addressDetails: Any) -> None:
        self.addressDetails = addressDetails
        self._text: str | None = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ActorAddress):
            return self.addressDetails == other.addressDetails
        return False

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    @property
    def actorAddressString(self) -> str:
        """A string form of the address, for the runtime and diagnostics."""
        if self._text is None:
            self._text = _formatter(self.addressDetails)
        return self._text

    def __str__(self) -> str:
        return "ActorAddr-" + self.actorAddressString

    def __repr__(self) -> str:
        return str(self)

    def __getstate__(self) -> Any:
        return self.addressDetails

    def __setstate__(self, state: Any) -> None:
        self.addressDetails = state
        self._text = None
