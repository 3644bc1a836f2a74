"""Where a TCP system listens: the local IP (docs/api.md §6.3.4) and address strings."""
from __future__ import annotations

from typing import Any, Mapping

from actorcore.runtime import netbase
from actorcore.runtime.netbase import flag, local_ip, process_key

DEFAULT_ADMIN_PORT = 1900

__all__ = ["DEFAULT_ADMIN_PORT", "admin_port", "flag", "hostport", "local_ip", "process_key"]


def admin_port(capabilities: Mapping[str, Any]) -> int:
    """The ``Admin Port`` capability as an int; a clear error for anything else."""
    return netbase.admin_port(capabilities, DEFAULT_ADMIN_PORT, "TCP")


def hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)
