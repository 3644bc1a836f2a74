"""ActorAddress: the opaque, comparable, unhashable handle on an actor.

It knows nothing of transports beyond holding their opaque ``addressDetails``.
"""
from __future__ import annotations

import string
from typing import Any, Callable

#: Set by the plugin manager: turns ``addressDetails`` into display text.
_formatter: Callable[[Any], str] = str

#: The characters a printed address may hold: Thespian keeps to these so that
#: an address pastes into logs, shells and file names.
PRINTABLE = frozenset(string.ascii_letters + string.digits + "-~/():., '|>")


def printable(text: str) -> str:
    """``text`` kept to :data:`PRINTABLE`, still one text per address.

    Any other character, and ``~`` itself (the escape), is written ``~hh``
    (``~uhhhh``, ``~Uhhhhhh`` above 0xff), so two different texts never
    print alike: ``str(addr)`` stays usable as a key.
    """
    if "~" not in text and PRINTABLE.issuperset(text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch != "~" and ch in PRINTABLE:
            out.append(ch)
        elif code < 0x100:
            out.append(f"~{code:02x}")
        elif code < 0x10000:
            out.append(f"~u{code:04x}")
        else:
            out.append(f"~U{code:06x}")
    return "".join(out)


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
        """A string form of the address, for diagnostics: the base's text for
        its details, kept to :data:`PRINTABLE`."""
        if self._text is None:
            self._text = printable(_formatter(self.addressDetails))
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
