"""Where a TCP system listens: the local IP (docs/api.md §6.3.4) and address strings."""
from __future__ import annotations

from typing import Any, Mapping

from actorcore.plugin import admin_port as port_capability
from actorcore.plugin import flag, local_ip, process_key

DEFAULT_ADMIN_PORT = 1900

__all__ = ["DEFAULT_ADMIN_PORT", "admin_port", "flag", "hostport", "local_ip", "process_key"]


def admin_port(capabilities: Mapping[str, Any]) -> int:
    """The ``Admin Port`` capability as an int; a clear error for anything else."""
    return port_capability(capabilities, DEFAULT_ADMIN_PORT, "TCP")


def hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)
