"""Messages travel pickled by the sender: the receiver gets a copy, and a
message that cannot be pickled is caught where it was sent (as on the other
multiprocess bases), not somewhere inside Ray."""
from __future__ import annotations

import pickle
from typing import Any

from actorcore.plugin import pickled

PROTOCOL = pickle.HIGHEST_PROTOCOL

#: messages pickled as the other multiprocess bases send them (memoryviews
#: too); UnpicklableMessage says why one cannot be
dumps = pickled


def pack(call: Any) -> bytes:
    """The arguments of a hot Ray call (``deliver``, ``ask``) as one ``bytes``:
    Ray passes a bytes argument as it is, where it serializes every other
    argument on its own (five small ones cost a program ~0.3 ms a call)."""
    return pickle.dumps(call, PROTOCOL)


# Only Ray calls bring data here, from processes of the same Ray cluster: a
# cluster admits only peers that prove its token (docs/ray.md, "Security").
loads = unpack = pickle.loads
