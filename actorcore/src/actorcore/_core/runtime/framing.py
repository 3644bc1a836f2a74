"""The byte framing every stream transport uses for envelopes.

A frame is ``!I`` total length, then ``!HH`` the lengths of the target and
sender address strings, the two strings (UTF-8), and the pickled message.
On an authenticated connection a 16-byte MAC (``actorcore._core.handshake``)
ends the frame (the length counts it), covering everything before it, and
a frame whose MAC fails is a :class:`FrameError` like any other bad frame. Before the handshake a frame
is just a length and a handshake message of at most 4 KiB (``split_raw``).
Decoding never trusts a length: a frame longer than the limit, or whose
address lengths overrun it, is a :class:`FrameError`.
"""
from __future__ import annotations

import struct
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..handshake import FrameOpener, FrameSealer

LEN = struct.Struct("!I")
HEAD = struct.Struct("!IHH")
ADDR = struct.Struct("!HH")
DEFAULT_MAX = 64 * 1024 * 1024  # docs/api.md §9.4 ``Max Message Size``
MAC_BYTES = 16  # actorcore._core.handshake.MAC_BYTES (imported lazily there)


READ_SIZE = 1 << 18  # bytes a stream transport asks for per read
_local = threading.local()


def read_buffer() -> bytearray:
    """This thread's reusable read buffer of READ_SIZE bytes.

    Reading with ``recv(n)``/``os.read(fd, n)`` allocates n bytes per call,
    and a 256 KiB allocation costs ~20 us (fresh pages) where reading into a
    reused buffer costs 2-4 us: that is most of a small message's read. One
    per thread, because several ActorSystems in one process may read at once.
    """
    buf: bytearray | None = getattr(_local, "buf", None)
    if buf is None:
        buf = _local.buf = bytearray(READ_SIZE)
    return buf


class FrameError(ValueError):
    """Bytes that are not a well-formed frame (garbage, or a length over the limit)."""


def encode(target: str, sender: str, data: bytes) -> bytes:
    t, s = target.encode(), sender.encode()
    return b"".join((HEAD.pack(len(t) + len(s) + len(data) + 4, len(t), len(s)), t, s, data))


def encode_sealed(target: str, sender: str, data: bytes, sealer: FrameSealer) -> bytes:
    """A frame ending in its MAC (the next of ``sealer``'s), which covers the rest."""
    t, s = target.encode(), sender.encode()
    parts = (LEN.pack(4 + len(t) + len(s) + len(data) + MAC_BYTES), ADDR.pack(len(t), len(s)), t, s, data)
    if len(data) < 8192:  # one string to hash costs less than five calls; big data is not copied twice
        frame = b"".join(parts)
        return frame + sealer.seal(frame)
    return b"".join((*parts, sealer.seal(*parts)))


def encode_raw(message: bytes) -> bytes:
    """A handshake message as a frame."""
    return LEN.pack(len(message)) + message


def take_raw(buf: bytearray, limit: int) -> bytes | None:
    """Take the first unsealed frame (a handshake message of at most ``limit``
    bytes) off ``buf``; None while it is incomplete. A longer length is a
    FrameError at once, before its bytes are waited for."""
    if len(buf) < 4:
        return None
    size = LEN.unpack_from(buf, 0)[0]
    if size > limit:
        raise FrameError(f"frame of {size} bytes before the handshake (over {limit})")
    if len(buf) - 4 < size:
        return None
    message = bytes(buf[4 : 4 + size])
    del buf[: 4 + size]
    return message


def decode(frame: memoryview) -> tuple[str, str, bytes]:
    """One frame body (after the length prefix) as ``(target, sender, data)``."""
    if len(frame) < 4:
        raise FrameError("frame shorter than its header")
    tlen, slen = ADDR.unpack_from(frame, 0)
    a = 4 + tlen
    b = a + slen
    if b > len(frame):
        raise FrameError("address lengths overrun the frame")
    try:
        return str(frame[4:a], "utf-8"), str(frame[a:b], "utf-8"), frame[b:].tobytes()
    except UnicodeDecodeError as exc:
        raise FrameError(f"address is not UTF-8: {exc}") from None


def split(buf: bytearray, limit: int = DEFAULT_MAX, one: bool = False,
          opener: FrameOpener | None = None, sealed: bool = False) -> list[tuple[str, str, bytes]]:
    """Take every complete frame (or the first, with ``one``) off the front of ``buf``.

    With ``opener``, each frame's MAC is checked before it is decoded; with
    ``sealed`` alone (our own frames, never sent), the MAC is skipped.
    """
    out: list[tuple[str, str, bytes]] = []
    skip = MAC_BYTES if (sealed or opener is not None) else 0
    pos, end = 0, len(buf)
    with memoryview(buf) as view:
        while end - pos >= 4:
            size = LEN.unpack_from(view, pos)[0]
            if size > limit:
                raise FrameError(f"frame of {size} bytes is over the {limit}-byte limit")
            if end - pos - 4 < size:
                break
            # released even when decode raises: a live slice would pin ``buf``
            # (a later buf.clear() or del would raise BufferError)
            if size < skip:
                raise FrameError("frame shorter than its MAC")
            stop = pos + 4 + size - skip
            # (the slice given to check() is a temporary, released when it returns)
            if opener is not None and not opener.check(buf[stop : stop + skip], view[pos:stop]):
                raise FrameError("a frame failed its MAC check (altered, replayed or reordered)")
            with view[pos + 4 : stop] as frame:
                out.append(decode(frame))
            pos += 4 + size
            if one:
                break
    if pos:
        del buf[:pos]
    return out
