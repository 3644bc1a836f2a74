"""The actorcore plugin for multiprocUDPBase (entry point ``udp``)."""
from __future__ import annotations

from functools import partial
from typing import Any, Mapping

from actorcore.plugin import (
    BaseConfig,
    BaseRegistry,
    MultiprocSystem,
    framing,
    handshake_key,
    hookimpl,
    leaders,
    max_message_size,
)

from .addressing import DEFAULT_ADMIN_PORT, admin_port, local_ip
from .transport import ClientUdpTransport

BASE_NAME = "multiprocUDPBase"

CONFIG = BaseConfig(
    name=BASE_NAME,
    system_name=BASE_NAME,
    system_version=1,
    watch_supported=False,
    start_methods=("fork", "spawn", "forkserver"),
    defaults={"Admin Port": DEFAULT_ADMIN_PORT},
    shared=True,
)


@hookimpl
def actorcore_register_system_bases(register: BaseRegistry) -> None:
    register.add(
        BASE_NAME,
        partial(MultiprocSystem, CONFIG),
        summary="one process per actor over UDP datagrams; other programs attach on the Admin Port",
        # a bigger message comes back to its sender as PoisonMessage
        capabilities={"Admin Port": DEFAULT_ADMIN_PORT, "Max Message Size": framing.DEFAULT_MAX},
        multiprocess=True,
        copies_messages=True,
        admin_port="udp",
        shared=CONFIG.shared,
        conventions=True,
        outbound_only=False,
        keeps_in_flight=False,  # a datagram on a direct link to an exiting actor
        watches=CONFIG.watch_supported,
        recovers_unread=True,
        authenticated=True,
        forks=True,  # 'fork' is among its start methods (the default on Linux)
        shared_memory=False,  # big messages stream (not built for UDP yet)
    )


@hookimpl
def actorcore_make_transport(
    base_name: str, capabilities: Mapping[str, Any]
) -> ClientUdpTransport | None:
    if base_name != BASE_NAME:
        return None
    leaders(capabilities, admin_port(capabilities))  # checked here, where the caller hears of it
    host = local_ip(capabilities)
    return ClientUdpTransport(host, admin_port(capabilities), max_message_size(capabilities),
                              handshake_key(capabilities, host, BASE_NAME))
