"""The actorcore plugin for simpleSystemBase (entry point ``simple``)."""
from __future__ import annotations

from typing import Any

from actorcore.plugin import BaseRegistry, hookimpl

from .record import SimpleId
from .system import SimpleSystem


@hookimpl
def actorcore_register_system_bases(register: BaseRegistry) -> None:
    register.add(
        "simpleSystemBase",
        SimpleSystem,
        summary="all actors in the caller's thread; synchronous, deterministic (the default)",
        multiprocess=False,
        copies_messages=False,  # the receiver gets the very object
        shared=False,
        conventions=False,
        outbound_only=False,
        keeps_in_flight=True,
        watches=False,
    )


@hookimpl
def actorcore_format_address(addressDetails: Any) -> str | None:
    if type(addressDetails) is SimpleId:
        return str(addressDetails)
    return None
