"""The actorcore plugin for multiprocTCPBase (entry point ``tcp``)."""
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

from .addressing import DEFAULT_ADMIN_PORT, admin_port, flag, local_ip
from .tls import tls_files
from .transport import ClientTcpTransport

BASE_NAME = "multiprocTCPBase"

CONFIG = BaseConfig(
    name=BASE_NAME,
    system_name=BASE_NAME,
    system_version=2,
    watch_supported=True,
    start_methods=("fork", "spawn", "forkserver"),
    defaults={"Admin Port": DEFAULT_ADMIN_PORT},
    shared=True,
)


@hookimpl
def actorcore_register_system_bases(register: BaseRegistry) -> None:
    register.add(
        BASE_NAME,
        partial(MultiprocSystem, CONFIG),
        summary="one process per actor over TCP; other programs attach on the Admin Port",
        # a bigger message comes back to its sender as PoisonMessage
        capabilities={"Admin Port": DEFAULT_ADMIN_PORT, "Max Message Size": framing.DEFAULT_MAX},
        multiprocess=True,
        copies_messages=True,
        admin_port="tcp",
        shared=CONFIG.shared,
        conventions=True,
        outbound_only=True,
        keeps_in_flight=False,  # on a direct connection; kept with Admin Routing
        watches=CONFIG.watch_supported,
        recovers_unread=False,  # unread bytes in a killed process's socket die with it
        authenticated=True,
        forks=True,  # 'fork' is among its start methods (the default on Linux)
        shared_memory=True,  # big buffers between its processes go through /dev/shm
    )


@hookimpl
def actorcore_make_transport(
    base_name: str, capabilities: Mapping[str, Any]
) -> ClientTcpTransport | None:
    if base_name != BASE_NAME:
        return None
    limit = max_message_size(capabilities)
    outbound_only = flag(capabilities, "Outbound Only")
    admin_routing = flag(capabilities, "Admin Routing")  # between systems: always
    port = admin_port(capabilities)
    host = local_ip(capabilities)
    return ClientTcpTransport(host, port, limit, handshake_key(capabilities, host, BASE_NAME),
                              outbound_only=outbound_only, leaders=leaders(capabilities, port),
                              tls=tls_files(capabilities), admin_routing=admin_routing)
