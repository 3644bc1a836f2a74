"""Loaded sources on rayBase (docs/api.md §8): the registry is the admin's;
any process that runs an actor of a source fetches the validated archive
from the admin and unpacks it itself, through the source plugin."""
from __future__ import annotations

import time
from typing import Any

from actorcore.actors import InvalidActorSourceHash, InvalidActorSpecification
from actorcore.plugin import check_class_name, class_spec, plugin_hooks, resolve_actor_class

#: seconds between a waiting create's questions to the admin about a pending source
POLL = 0.05

_unpacked: dict[str, Any] = {}  # sources this process has unpacked, by hash


def wait_for(admin: Any, sourceHash: str) -> tuple[bytes, str | None]:
    """The validated archive of ``sourceHash``, once the Source Authority has
    judged it (a pending one is waited for, as long as the admin waits for
    its verdict); InvalidActorSourceHash if it is not (or no longer) loaded."""
    import ray

    while True:
        state = ray.get(admin.source.remote("state", sourceHash))
        if state[0] == "loaded":
            return state[1], state[2]
        if state[0] != "pending":
            raise InvalidActorSourceHash(sourceHash)
        time.sleep(POLL)


def load_class(admin: Any, actorClass: Any, sourceHash: str) -> type:
    """The class ``actorClass`` names inside source ``sourceHash`` (or the class
    itself, when given one), unpacked in this process."""
    try:
        data, info = wait_for(admin, sourceHash)  # asked each time: it may have been unloaded
    except InvalidActorSourceHash:
        _unpacked.pop(sourceHash, None)
        raise
    unpacked = _unpacked.get(sourceHash)
    if unpacked is None:
        unpacked = plugin_hooks().actorcore_unpack_source(
            sourceHash=sourceHash, sourceZip=data, sourceInfo=info)
        if unpacked is None:
            raise InvalidActorSpecification(actorClass, "no source plugin is installed to unpack it")
        _unpacked[sourceHash] = unpacked
    if isinstance(actorClass, str):
        check_class_name(actorClass)
        return resolve_actor_class(unpacked.load_class(actorClass))
    return resolve_actor_class(actorClass)


def spec_in_source(actorClass: Any) -> str:
    """How a host names a class of a source: the string given, or the class's name."""
    if isinstance(actorClass, str):
        check_class_name(actorClass)
        return actorClass
    return class_spec(resolve_actor_class(actorClass))
