"""Where a TCP system listens: the local IP (API.md §6.3.4) and address strings."""
from __future__ import annotations

import os
from typing import Any, Mapping

DEFAULT_ADMIN_PORT = 1900


def process_key(addr: str) -> str:
    """The process an address lives in: client endpoints ``<prefix>:<n>`` share
    their client's process; every actor is a process of its own."""
    return addr.split(":", 1)[0] if ":" in addr else addr


def local_ip(capabilities: Mapping[str, Any]) -> str:
    """``THESPIAN_BASE_IPADDR`` if set, else loopback.

    Loopback by default: an admin reachable from the network unpickles what
    anyone sends it, so listening beyond this host is a choice to make
    explicitly (set THESPIAN_BASE_IPADDR), not a default.
    """
    explicit = os.environ.get("THESPIAN_BASE_IPADDR", "").strip()
    return explicit or "127.0.0.1"


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
