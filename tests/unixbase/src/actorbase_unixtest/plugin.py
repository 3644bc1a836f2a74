"""The actorcore plugin for multiprocUnixTestBase (entry point ``unixtest``).

A multiprocess base is a registration and a transport: the admin, the actor
processes, timers, dead letters and the ActorSystem calls are the core's
:class:`~actorcore.plugin.MultiprocSystem`.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Mapping

from actorcore.plugin import BaseConfig, BaseRegistry, ClientTransport, MultiprocSystem, hookimpl

from .client import ClientUnixTransport

BASE_NAME = "multiprocUnixTestBase"

CONFIG = BaseConfig(
    name=BASE_NAME,
    system_name=BASE_NAME,
    system_version=1,
    watch_supported=True,  # a process's waits are polls: a watched descriptor joins them
    start_methods=("fork", "spawn", "forkserver"),
)


@hookimpl
def actorcore_register_system_bases(register: BaseRegistry) -> None:
    register.add(
        BASE_NAME,
        partial(MultiprocSystem, CONFIG),
        summary="one process per actor over Unix domain sockets; private to the creating "
        "process (a test of actorcore.plugin)",
        # no Admin Port (so no conventions, nothing shared with other programs),
        # no Max Message Size: nothing but the defaults to show
        multiprocess=True,
        copies_messages=True,  # the core pickles every envelope
        shared=False,
        conventions=False,
        outbound_only=False,
        keeps_in_flight=True,  # everything goes through the admin, which dead-letters it
        watches=CONFIG.watch_supported,
        # what a killed actor never read is still in its socket, whose end the admin holds
        recovers_unread=True,
        forks=True,  # 'fork' is among its start methods (the default on Linux)
        shared_memory=True,  # big buffers between its processes go through /dev/shm
    )


@hookimpl
def actorcore_make_transport(
    base_name: str, capabilities: Mapping[str, Any]
) -> ClientTransport | None:
    # The core asks only for the creating process's transport: the admin's
    # and the actors' come from the links that transport hands out.
    if base_name != BASE_NAME:
        return None
    return ClientUnixTransport()
