"""Pickling messages once at the sender, so failures are seen where they happen."""
from __future__ import annotations

import pickle
import struct
from typing import Any

from ..asyncactor import AskReply, AskRequest

PROTOCOL = pickle.HIGHEST_PROTOCOL


class UnpicklableMessage(Exception):
    """The message (or something it references) cannot be pickled."""


# An ask's request and reply (``await self.ask``, ``ask_async``) travel as a
# token and the pickled message behind a one-byte kind: pickling the wrapper
# objects cost as much as the rest of a small message, on both sides of each
# hop. A pickle of protocol 2 or later starts with 0x80, so the kinds below
# cannot be mistaken for one (transports' own control data starts with 0x00).
_ASK_REQUEST = 1
_ASK_REPLY = 2
_HEAD = struct.Struct("!BQ")
_HEAD_SIZE = _HEAD.size


def dumps(msg: Any) -> bytes:
    try:
        cls = msg.__class__
        if cls is AskReply:
            if msg.failure is None:
                return _HEAD.pack(_ASK_REPLY, msg.token) + pickle.dumps(msg.message, PROTOCOL)
        elif cls is AskRequest and not msg.chain:
            return _HEAD.pack(_ASK_REQUEST, msg.token) + pickle.dumps(msg.message, PROTOCOL)
        return pickle.dumps(msg, PROTOCOL)
    except Exception as exc:
        raise UnpicklableMessage(f"{type(exc).__name__}: {exc}") from exc


def loads(data: bytes) -> Any:
    """A message as :func:`dumps` made it (every site that unpickles a
    message goes through here)."""
    if not data or data[0] > _ASK_REPLY:
        return pickle.loads(data)
    kind, token = _HEAD.unpack_from(data)
    if len(data) < 65536:  # a copy of a small message costs less than a view
        msg = pickle.loads(data[_HEAD_SIZE:])
    else:
        with memoryview(data) as view:
            msg = pickle.loads(view[_HEAD_SIZE:])
    if kind == _ASK_REPLY:
        return AskReply(token, msg)
    return AskRequest(token, msg, ())

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

