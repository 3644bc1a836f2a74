"""Where a UDP system listens (docs/api.md §6.3.3) and how its address strings read.

Addresses: the admin is ``U<8 hex>``, its actors ``U<8 hex>/<n>``, attached
programs' endpoints ``U<8 hex>+<k>:<n>`` (so ``actorcore._core.transport.system_of``
reads the system off any of them). The rules shared with TCP live in
``actorcore._core.runtime.netbase``.
"""
from __future__ import annotations

from typing import Any, Mapping

from actorcore.plugin import admin_port as port_capability
from actorcore.plugin import local_ip, process_key

DEFAULT_ADMIN_PORT = 1029

__all__ = ["DEFAULT_ADMIN_PORT", "admin_port", "local_ip", "process_key"]


def admin_port(capabilities: Mapping[str, Any]) -> int:
    """The ``Admin Port`` capability as an int; a clear error for anything else."""
    return port_capability(capabilities, DEFAULT_ADMIN_PORT, "UDP")
