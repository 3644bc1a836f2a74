"""The actorcore plugin for multiprocQueueBase (entry point ``queue``)."""
from __future__ import annotations

from functools import partial
from typing import Any, Mapping

from actorcore.plugin import BaseConfig, BaseRegistry, MultiprocSystem, hookimpl, process_context

from .transport import ClientQueueTransport

BASE_NAME = "multiprocQueueBase"

CONFIG = BaseConfig(
    name=BASE_NAME,
    system_name=BASE_NAME,
    system_version=1,
    watch_supported=False,
    start_methods=("fork", "spawn"),
    defaults={"Admin Address": "ThespianQ"},
)


@hookimpl
def actorcore_register_system_bases(register: BaseRegistry) -> None:
    register.add(
        BASE_NAME,
        partial(MultiprocSystem, CONFIG),
        summary="one process per actor over multiprocessing pipes; private to the creating process",
        multiprocess=True,
        copies_messages=True,
        shared=CONFIG.shared,
        conventions=False,
        outbound_only=False,
        keeps_in_flight=True,  # what the direct pipes held is drained by the admin
        watches=CONFIG.watch_supported,
        recovers_unread=True,
        forks=True,  # 'fork' is among its start methods (the default on Linux)
        shared_memory=True,  # big buffers between its processes go through /dev/shm
    )


@hookimpl
def actorcore_make_transport(
    base_name: str, capabilities: Mapping[str, Any]
) -> ClientQueueTransport | None:
    if base_name != BASE_NAME:
        return None
    return ClientQueueTransport(process_context(dict(capabilities), CONFIG.start_methods))
