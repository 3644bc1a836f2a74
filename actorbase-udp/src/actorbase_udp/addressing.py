"""Where a UDP system listens (API.md §6.3.3) and how its address strings read.

Addresses: the admin is ``U<8 hex>``, its actors ``U<8 hex>/<n>``, attached
programs' endpoints ``U<8 hex>+<k>:<n>`` (so ``actorcore.transport.system_of``
reads the system off any of them).
"""
from __future__ import annotations

import os
from typing import Any, Mapping

DEFAULT_ADMIN_PORT = 1029


def process_key(addr: str) -> str:
    """The process an address lives in: a client's endpoints ``<prefix>:<n>``
    share their client's process; every actor is a process of its own."""
    return addr.split(":", 1)[0] if ":" in addr else addr


def local_ip(capabilities: Mapping[str, Any]) -> str:
    """``THESPIAN_BASE_IPADDR`` if set, else loopback (an admin reachable from
    the network unpickles what anyone sends it: that is an explicit choice)."""
    return os.environ.get("THESPIAN_BASE_IPADDR", "").strip() or "127.0.0.1"


def admin_port(capabilities: Mapping[str, Any]) -> int:
    """The ``Admin Port`` capability as an int; a clear error for anything else."""
    raw = capabilities.get("Admin Port", DEFAULT_ADMIN_PORT)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(
            f"Admin Port must be an int (a UDP port number), not {type(raw).__name__} {raw!r}"
        )
    if not 0 < raw < 65536:
        raise ValueError(f"Admin Port {raw} is not a UDP port number (1-65535)")
    return raw
