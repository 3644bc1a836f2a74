"""Messages travel pickled by the sender: the receiver gets a copy, and a
message that cannot be pickled is caught where it was sent (as on the other
multiprocess bases), not somewhere inside Ray."""
from __future__ import annotations

import pickle
from typing import Any

PROTOCOL = pickle.HIGHEST_PROTOCOL


class Unpicklable(Exception):
    """A message that cannot travel; the text says why."""


def dumps(msg: Any) -> bytes:
    try:
        return pickle.dumps(msg, PROTOCOL)
    except Exception as exc:
        raise Unpicklable(f"message cannot be pickled: {type(exc).__name__}: {exc}") from exc


def pack(call: Any) -> bytes:
    """The arguments of a hot Ray call (``deliver``, ``ask``) as one ``bytes``:
    Ray passes a bytes argument as it is, where it serializes every other
    argument on its own (five small ones cost a program ~0.3 ms a call)."""
    return pickle.dumps(call, PROTOCOL)


# Only Ray calls bring data here, from processes of the same Ray cluster: a
# cluster admits only peers that prove its token (docs/ray.md, "Security").
loads = unpack = pickle.loads
