"""Messages travel pickled by the sender: the receiver gets a copy, and a
message that cannot be pickled is caught where it was sent (as on the other
multiprocess bases), not somewhere inside Ray."""
from __future__ import annotations

import pickle
from typing import Any

from actorcore.plugin import UnpicklableMessage, pickled

PROTOCOL = pickle.HIGHEST_PROTOCOL

#: a message that cannot travel; the text says why
Unpicklable = UnpicklableMessage


def dumps(msg: Any) -> bytes:
    """``msg`` pickled as the other multiprocess bases send it (memoryviews too)."""
    return pickled(msg)


def pack(call: Any) -> bytes:
    """The arguments of a hot Ray call (``deliver``, ``ask``) as one ``bytes``:
    Ray passes a bytes argument as it is, where it serializes every other
    argument on its own (five small ones cost a program ~0.3 ms a call)."""
    return pickle.dumps(call, PROTOCOL)


# Only Ray calls bring data here, from processes of the same Ray cluster: a
# cluster admits only peers that prove its token (docs/ray.md, "Security").
loads = unpack = pickle.loads
