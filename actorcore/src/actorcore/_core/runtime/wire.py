"""Pickling messages once at the sender, so failures are seen where they happen."""
from __future__ import annotations

import pickle
from typing import Any

PROTOCOL = pickle.HIGHEST_PROTOCOL


class UnpicklableMessage(Exception):
    """The message (or something it references) cannot be pickled."""


def dumps(msg: Any) -> bytes:
    try:
        return pickle.dumps(msg, PROTOCOL)
    except Exception as exc:
        raise UnpicklableMessage(f"{type(exc).__name__}: {exc}") from exc


loads = pickle.loads

#: Bytes a frame adds to the pickled message besides the two addresses: its
#: length, the address lengths and a MAC (``actorcore._core.runtime.framing``).
FRAME_OVERHEAD = 24


def oversize(data: bytes, target: str, sender: str, limit: int | None) -> str | None:
    """Why ``data`` cannot travel from ``sender`` to ``target`` on a transport
    whose frames are at most ``limit`` bytes (its ``Max Message Size``), or
    None when it fits (or the transport has no limit). Checked by the sender,
    so the message comes back to it as PoisonMessage instead of being cut off
    by the receiver."""
    # this runs for every send: the encoded size is only worked out near the
    # limit (a character is at most 4 bytes of UTF-8)
    if limit is None or len(data) + 4 * (len(target) + len(sender)) + FRAME_OVERHEAD <= limit:
        return None
    size = len(data) + len(str(target).encode()) + len(str(sender).encode()) + FRAME_OVERHEAD
    if size <= limit:
        return None
    return (f"message of {len(data)} bytes (pickled) is over this system's Max Message Size "
            f"of {limit} bytes; it was not sent")

