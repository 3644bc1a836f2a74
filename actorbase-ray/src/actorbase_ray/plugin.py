"""The actorcore plugin for rayBase (entry point ``ray``)."""
from __future__ import annotations

from typing import Any

from actorcore.plugin import BaseRegistry, hookimpl

from .addressing import RayId


def _factory(capabilities: Any, logDefs: Any, transientUnique: bool) -> Any:
    # imported on first use: `actorcore bases` need not import Ray
    from .system import RaySystem

    return RaySystem(capabilities, logDefs, transientUnique)


@hookimpl
def actorcore_register_system_bases(register: BaseRegistry) -> None:
    register.add(
        "rayBase",
        _factory,
        summary="each actor a Ray actor, on a local Ray or a Ray cluster (docs/ray.md)",
        multiprocess=True,
        copies_messages=True,  # pickled by the sender (wire.py)
        shared=False,  # no Admin Port: a second program attaches by Ray Namespace instead
        conventions=False,  # a Ray cluster is one system: Ray places actors on its nodes
        outbound_only=False,
        keeps_in_flight=True,  # an ended actor's queue, and calls that fail, become dead letters
        watches=False,
        forks=False,  # Ray starts every worker fresh, as 'spawn' does (classes.py)
        shared_memory=False,  # big arguments go through Ray's own object store
    )


@hookimpl
def actorcore_format_address(addressDetails: Any) -> str | None:
    if type(addressDetails) is RayId:
        return str(addressDetails)
    return None
