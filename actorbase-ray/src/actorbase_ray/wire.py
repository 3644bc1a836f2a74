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


# Only Ray calls bring data here, from processes of the same Ray cluster: a
# cluster admits only peers that prove its token (docs/ray.md, "Security").
loads = pickle.loads
