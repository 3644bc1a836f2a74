"""Where a TCP system listens: the local IP (API.md §6.3.4) and address strings."""
from __future__ import annotations

import os
from typing import Any, Mapping

from actorcore.runtime.conventions import CONVENTION_KEY, leader_addresses, local_ip_for

DEFAULT_ADMIN_PORT = 1900


def process_key(addr: str) -> str:
    """The process an address lives in: client endpoints ``<prefix>:<n>`` share
    their client's process; every actor is a process of its own."""
    return addr.split(":", 1)[0] if ":" in addr else addr


def local_ip(capabilities: Mapping[str, Any]) -> str:
    """``THESPIAN_BASE_IPADDR`` if set; else, for a convention member, the
    address of the interface that reaches its leader; else loopback.

    Loopback by default: an admin reachable from the network unpickles what
    anyone sends it, so listening beyond this host is a choice to make
    explicitly (set THESPIAN_BASE_IPADDR, or name a leader), not a default.
    """
    explicit = os.environ.get("THESPIAN_BASE_IPADDR", "").strip()
    if explicit:
        return explicit
    leaders = leader_addresses(capabilities.get(CONVENTION_KEY), admin_port(capabilities))
    return local_ip_for(leaders) or "127.0.0.1"


def flag(capabilities: Mapping[str, Any], name: str) -> bool:
    """A bool capability (``Admin Routing``, ``Outbound Only``); a clear error otherwise."""
    value = capabilities.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, not {type(value).__name__} {value!r}")
    return value


def admin_port(capabilities: Mapping[str, Any]) -> int:
    """The ``Admin Port`` capability as an int; a clear error for anything else."""
    raw = capabilities.get("Admin Port", DEFAULT_ADMIN_PORT)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(
            f"Admin Port must be an int (a TCP port number), not {type(raw).__name__} {raw!r}"
        )
    if not 0 < raw < 65536:
        raise ValueError(f"Admin Port {raw} is not a TCP port number (1-65535)")
    return raw


def hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)
