"""Pickling messages once at the sender, so failures are seen where they happen."""
from __future__ import annotations

import io
import pickle
import struct
from typing import Any

import attrs

from ..asyncactor import AskReply, AskRequest
from ..transport import optional
from . import shmem

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
# A message whose big buffers travel apart from its pickle (docs/big-messages.md):
# in files of the system's shared-memory directory (kind 3), or after a header
# in the frame itself (kind 4, what kind 3 becomes on its way to another host).
_SHARED = 3
_INLINE = 4
_HEAD = struct.Struct("!BQ")
_HEAD_SIZE = _HEAD.size
_BUFS = struct.Struct("!BI")  # kind 3 or 4, length of the buffer list that follows


@attrs.frozen
class Sharing:
    """How one process sends big buffers through shared memory: its
    system's directory, the address prefixes of that system's processes
    (all on this host), and the transport's Max Message Size."""

    space: shmem.Space
    local: tuple[str, ...]
    limit: int | None
    me: str


def sharing(transport: Any, admin: Any, me: Any, clients: str | None) -> Sharing | None:
    """How this process sends big messages through shared memory; None when
    its transport does not, or its admin's directory is not on this host."""
    if not optional(transport, "shared_memory") or not isinstance(admin, str):
        return None
    space = shmem.join(admin)
    if space is None:
        return None
    local = (f"{admin}/", f"{admin}+") + ((clients,) if clients else ())
    return Sharing(space, local, optional(transport, "limit"), str(me))


#: Messages that are one buffer: with sharing, a big one skips the in-band
#: pickle, which would hold a third copy of it for a moment.
_RAW = frozenset((bytes, bytearray))


def dumps(msg: Any, sharing: Sharing | None = None, target: Any = "") -> bytes:
    """``msg`` pickled; with ``sharing``, a big message for a process of
    the same system on this host goes as kind 3 (its buffers copied once
    into shared memory, the sender's objects never referenced again)."""
    if sharing is not None and msg.__class__ in _RAW and len(msg) > shmem.THRESHOLD:
        return _share(msg, None, sharing, target)
    try:
        cls = msg.__class__
        if cls is AskReply and msg.failure is None:
            data = _HEAD.pack(_ASK_REPLY, msg.token) + pickle.dumps(msg.message, PROTOCOL)
        elif cls is AskRequest and not msg.chain:
            data = _HEAD.pack(_ASK_REQUEST, msg.token) + pickle.dumps(msg.message, PROTOCOL)
        else:
            data = pickle.dumps(msg, PROTOCOL)
    except Exception as exc:
        data = _dumps_views(msg, exc)
    if sharing is not None and len(data) > shmem.THRESHOLD:
        return _share(msg, data, sharing, target)
    return data


def pickled(msg: Any) -> bytes:
    """``msg`` pickled in band, memoryviews too (which plain pickle refuses);
    UnpicklableMessage saying why when it cannot be. For a base that moves
    messages itself (rayBase) and wants them as the runtime's bases send them."""
    try:
        return pickle.dumps(msg, PROTOCOL)
    except Exception as exc:
        return _dumps_views(msg, exc)


def _dumps_views(msg: Any, exc: Exception) -> bytes:
    """``msg`` pickled in band by a pickler that also takes memoryviews (which
    plain pickle refuses); UnpicklableMessage saying why ``exc`` happened
    when that fails too."""
    try:
        out = io.BytesIO()
        _ViewPickler(out, PROTOCOL).dump(msg)
        return out.getvalue()
    except Exception:
        raise UnpicklableMessage(f"{type(exc).__name__}: {exc}") from exc


def _view(buf: Any, fmt: str, shape: tuple[int, ...]) -> memoryview:
    view = memoryview(buf)
    if fmt == "B" and len(shape) == 1:
        return view
    flat: Any = view.cast("B")  # the format comes from the sender: typeshed wants a literal
    return flat.cast(fmt, shape)


class _ViewPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if obj.__class__ is memoryview:
            data = obj.tobytes() if obj.readonly else bytearray(obj.tobytes())
            return _view, (data, obj.format, obj.shape)
        return NotImplemented


class _OutOfBand(_ViewPickler):
    """Pickles a message with its big buffers left out: ``bytes``, ``bytearray``
    and ``memoryview`` by persistent id (the C pickler never offers exact
    bytes to ``reducer_override``), what pickle 5 offers as PickleBuffer
    (numpy arrays) through ``buffer_callback``."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, PROTOCOL, buffer_callback=self._oob)
        self.kinds: list[str] = []
        self.buffers: list[memoryview] = []

    def _add(self, kind: str, view: memoryview) -> int:
        self.kinds.append(kind)
        self.buffers.append(view)
        return len(self.buffers) - 1

    def _oob(self, buf: pickle.PickleBuffer) -> bool:
        view = buf.raw()
        if view.nbytes < shmem.MIN_ITEM:
            return True  # in band
        self._add("o", view)
        return False

    def persistent_id(self, obj: Any) -> Any:
        cls = obj.__class__
        if cls is bytes or cls is bytearray:
            if len(obj) < shmem.MIN_ITEM:
                return None
            return self._add("b" if cls is bytes else "a", memoryview(obj))
        if cls is memoryview and obj.nbytes >= shmem.MIN_ITEM and obj.c_contiguous:
            return (self._add("m", obj), obj.format, obj.shape)
        return None


class _Reader(pickle.Unpickler):
    def __init__(self, data: Any, kinds: list[str], bufs: list[Any]) -> None:
        super().__init__(io.BytesIO(data),
                         buffers=[b for k, b in zip(kinds, bufs, strict=True) if k == "o"])
        self.kinds = kinds
        self.bufs = bufs

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple):
            index, fmt, shape = pid
            if self.kinds[index] == "m":
                return _view(self.bufs[index], fmt, tuple(shape))
        elif isinstance(pid, int):
            kind = self.kinds[pid]
            buf = self.bufs[pid]
            if kind == "b":
                return buf if buf.__class__ is bytes else bytes(buf)  # read from a file: as it is
            if kind == "a":
                return buf if buf.__class__ is bytearray else bytearray(buf)
        raise pickle.UnpicklingError(f"bad buffer reference {pid!r}")


def _share(msg: Any, data: bytes | None, sharing: Sharing, target: Any) -> bytes:
    """The kind-3 frame of ``msg``, or its plain pickle ``data`` (made here if
    None) when it is not for a process of this system, its buffers are small,
    or it is over the Max Message Size (which the sender's check then refuses)."""
    if isinstance(target, str) and target.startswith(sharing.local):
        out = io.BytesIO()
        pickler = _OutOfBand(out)
        try:
            frame = _frame(msg, pickler, out, sharing, target)
        finally:
            # the pickler refers to itself (its buffer_callback): without this
            # the sender's buffers would live until the collector came by
            pickler.buffers.clear()
        if frame is not None:
            return frame
    return dumps(msg) if data is None else data


def _frame(msg: Any, pickler: _OutOfBand, out: io.BytesIO, sharing: Sharing,
           target: str) -> bytes | None:
    try:
        pickler.dump(msg)
    except Exception:
        return None
    sizes = [b.nbytes for b in pickler.buffers]
    total = sum(sizes)
    if total <= shmem.THRESHOLD or (sharing.limit is not None and not _fits(
            total + out.tell(), target, sharing.me, sharing.limit)):
        return None
    try:
        names = sharing.space.write(pickler.buffers, target)
    except OSError:  # /dev/shm full, say: the stream still works
        return None
    items = "".join(f"\n{k}{n} {name}" for k, n, name in zip(pickler.kinds, sizes, names, strict=True))
    head = (sharing.space.sysid + items).encode()
    return _BUFS.pack(_SHARED, len(head)) + head + out.getvalue()


def _parse(data: Any) -> tuple[int, str, list[tuple[str, int, str]], int]:
    kind, size = _BUFS.unpack_from(data)
    end = _BUFS.size + size
    lines = bytes(data[_BUFS.size:end]).decode().split("\n")
    items = []
    for line in lines[1:]:
        k, _, rest = line.partition(" ") if kind == _SHARED else (line, "", "")
        items.append((k[0], int(k[1:]), rest))
    return kind, lines[0], items, end


def shared_names(data: bytes) -> list[str]:
    """The files a kind-3 frame names (none for any other frame)."""
    if not data or data[0] != _SHARED:
        return []
    return [name for _k, _n, name in _parse(data)[2]]


def discard(data: bytes) -> None:
    """A frame this process made will not be sent: remove its files."""
    if data and data[0] == _SHARED:
        sysid = _parse(data)[1]
        shmem.joined(sysid).discard(shared_names(data))


def _claim_all(sysid: str, items: list[tuple[str, int, str]]) -> list[Any]:
    space = shmem.joined(sysid)
    maps: list[Any] = []
    try:
        for kind, size, name in items:
            maps.append(space.claim(name, size, kind))
    except BaseException:
        # the message cannot be read: none of its files may outlive it
        space.discard(name for _k, _n, name in items[len(maps):] if shmem._SENT.fullmatch(name))
        raise
    return maps


def _load_buffers(data: bytes) -> Any:
    kind, sysid, items, end = _parse(data)
    kinds = [k for k, _n, _name in items]
    if kind == _SHARED:
        bufs = _claim_all(sysid, items)
        try:
            return _Reader(memoryview(data)[end:], kinds, bufs).load()
        finally:
            # A mapping copied into bytes or a bytearray is unmapped now, not
            # when the collector gets to the reader (it refers to itself); one
            # that a memoryview or array uses stays as long as they do.
            for buf in bufs:
                try:
                    buf.close()
                except (BufferError, AttributeError):
                    pass
            bufs.clear()
    view = memoryview(data)
    bufs = []
    for _k, size, _name in items:
        bufs.append(view[end:end + size])
        end += size
    return _Reader(view[end:], kinds, bufs).load()


def inline(data: bytes) -> bytes:
    """``data`` as it can leave this host: a kind-3 frame's files are read into
    the frame (kind 4); any other frame is returned as it is."""
    if not data or data[0] != _SHARED:
        return data
    _kind, sysid, items, end = _parse(data)
    bufs = _claim_all(sysid, items)
    head = "".join(f"\n{k}{n}" for k, n, _name in items).encode()
    return b"".join([_BUFS.pack(_INLINE, len(head)), head, *bufs, memoryview(data)[end:]])


def loads(data: bytes) -> Any:
    """A message as :func:`dumps` made it (every site that unpickles a
    message goes through here)."""
    if not data or data[0] > _INLINE:
        return pickle.loads(data)
    if data[0] > _ASK_REPLY:
        return _load_buffers(data)
    kind, token, msg = ask_parts(data)
    if kind == _ASK_REPLY:
        return AskReply(token, msg)
    return AskRequest(token, msg, ())


#: The kinds of an ask's frames, for a reader that takes them apart itself
#: (:func:`ask_parts`): the request and the reply.
ASK_REQUEST, ASK_REPLY = _ASK_REQUEST, _ASK_REPLY


def ask_parts(data: bytes) -> tuple[int, int, Any]:
    """The kind, token and message of an ask's frame (its first byte is
    ASK_REQUEST or ASK_REPLY), without the object :func:`loads` makes of it:
    an actor process hands them to the ask's rules as they are."""
    kind, token = _HEAD.unpack_from(data)
    if len(data) < 65536:  # a copy of a small message costs less than a view
        msg = pickle.loads(data[_HEAD_SIZE:])
    else:
        with memoryview(data) as view:
            msg = pickle.loads(view[_HEAD_SIZE:])
    return kind, token, msg


#: Bytes a frame adds to the pickled message besides the two addresses: its
#: length, the address lengths and a MAC (``actorcore._core.runtime.framing``).
FRAME_OVERHEAD = 24


def oversize(data: bytes, target: str, sender: str, limit: int | None) -> str | None:
    """Why ``data`` cannot travel from ``sender`` to ``target`` on a transport
    whose frames are at most ``limit`` bytes (its ``Max Message Size``), or
    None when it fits (or the transport has no limit). Checked by the sender,
    so the message comes back to it as PoisonMessage instead of being cut off
    by the receiver."""
    if limit is None or _fits(len(data), target, sender, limit):
        return None
    return (f"message of {len(data)} bytes (pickled) is over this system's Max Message Size "
            f"of {limit} bytes; it was not sent")


def _fits(size: int, target: str, sender: str, limit: int) -> bool:
    """Whether a message of ``size`` bytes (pickled, buffers included) fits
    a frame of ``limit`` bytes with its addresses."""
    # this runs for every send: the encoded size is only worked out near the
    # limit (a character is at most 4 bytes of UTF-8)
    if size + 4 * (len(target) + len(sender)) + FRAME_OVERHEAD <= limit:
        return True
    return size + len(str(target).encode()) + len(str(sender).encode()) + FRAME_OVERHEAD <= limit

