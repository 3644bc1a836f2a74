"""Messages travel pickled by the sender: the receiver gets a copy, and a
message that cannot be pickled is caught where it was sent (as on the other
multiprocess bases), not somewhere inside Ray."""
from __future__ import annotations

import io
import pickle
from typing import Any

PROTOCOL = pickle.HIGHEST_PROTOCOL


class Unpicklable(Exception):
    """A message that cannot travel; the text says why."""


def dumps(msg: Any) -> bytes:
    try:
        return pickle.dumps(msg, PROTOCOL)
    except Exception as exc:
        try:  # memoryviews, which plain pickle refuses, travel as on the other bases
            out = io.BytesIO()
            _ViewPickler(out, PROTOCOL).dump(msg)
            return out.getvalue()
        except Exception:
            pass
        raise Unpicklable(f"message cannot be pickled: {type(exc).__name__}: {exc}") from exc


def _view(buf: Any, fmt: str, shape: tuple[int, ...]) -> memoryview:
    """A memoryview like the one sent: same format and shape, over a copy
    (writable if the sender's was)."""
    view = memoryview(buf)
    if fmt == "B" and len(shape) == 1:
        return view
    flat: Any = view.cast("B")  # the format is the sender's, not a literal
    return flat.cast(fmt, shape)


class _ViewPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if obj.__class__ is memoryview:
            data = obj.tobytes() if obj.readonly else bytearray(obj.tobytes())
            return _view, (data, obj.format, obj.shape)
        return NotImplemented


def pack(call: Any) -> bytes:
    """The arguments of a hot Ray call (``deliver``, ``ask``) as one ``bytes``:
    Ray passes a bytes argument as it is, where it serializes every other
    argument on its own (five small ones cost a program ~0.3 ms a call)."""
    return pickle.dumps(call, PROTOCOL)


# Only Ray calls bring data here, from processes of the same Ray cluster: a
# cluster admits only peers that prove its token (docs/ray.md, "Security").
loads = unpack = pickle.loads
