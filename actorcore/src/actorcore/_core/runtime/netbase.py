"""What the socket bases (UDP, TCP) share: where they bind, the Admin Port
and Max Message Size capabilities, address-to-process keys (the links their
processes hand each other are in :mod:`.links`).

Knows sockets and capability values, never actors or a particular protocol.
"""
from __future__ import annotations

import logging
import socket
from typing import Any, Callable, Mapping

from .. import keys
from ..errors import ActorSystemStartupError
from . import framing
from .hostports import CONVENTION_KEY, base_ipaddr, leader_addresses, local_ip_for
from .links import AdminLink as AdminLink  # moved to .links; actorcore.plugin imports it from here


def process_key(addr: str) -> str:
    """The process an address lives in: a client's endpoints ``<prefix>:<n>``
    share their client's process; every actor is a process of its own."""
    return addr.split(":", 1)[0] if ":" in addr else addr


def local_ip(capabilities: Mapping[str, Any]) -> str:
    """``THESPIAN_BASE_IPADDR`` if set; else, for a convention member, the
    address of the interface that reaches its leader; else loopback.

    Loopback by default: an admin reachable from the network unpickles what
    anyone sends it, so listening beyond this host is a choice to make
    explicitly (set THESPIAN_BASE_IPADDR, or name a leader), not a default.
    """
    explicit = base_ipaddr()
    if explicit:
        return explicit
    try:
        leaders = leader_addresses(capabilities.get(CONVENTION_KEY), 1)
    except ValueError:
        return "127.0.0.1"  # the plugin reports the bad value itself, clearly
    return local_ip_for(leaders) or "127.0.0.1"


def is_loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("localhost", "::1")


def handshake_key(capabilities: Mapping[str, Any], host: str, base: str) -> bytes:
    """The handshake key of a system that listens on ``host`` (docs/api.md §9.4).

    Listening beyond loopback needs a secret given on purpose (capability or
    environment): the per-user file only keeps other users of this host out,
    and says nothing to another host. ``ACTORCORE_INSECURE=1`` starts anyway,
    with a warning. Raises ValueError for a secret that breaks the rules.
    """
    secret = keys.resolve(capabilities)
    if not is_loopback(host) and not secret.explicit:
        text = (f"{base} would listen on {host} (beyond this host) with no secret set: set the "
                f"{keys.SECRET_CAPABILITY!r} capability (or {keys.SECRET_ENV}) to the same value "
                "of at least 16 bytes on every host; see docs/security.md")
        if not keys.insecure_allowed():
            raise ActorSystemStartupError(text)
        logging.getLogger("actorcore.security").warning(
            "%s; starting anyway because %s is set", text, keys.INSECURE_ENV)
    return secret.key("handshake")


def avoiding(make: Callable[[], socket.socket], port: int) -> socket.socket:
    """A socket from ``make`` (bound to an ephemeral port) whose port is not
    ``port``: a client's own socket must not take the Admin Port it is about
    to attach to or start an admin on, which the kernel may hand out when that
    port was chosen as "free" a moment before."""
    sock = make()
    while port and sock.getsockname()[1] == port:
        other = make()  # before closing: the kernel must not hand the same port back
        sock.close()
        sock = other
    return sock


def leaders(capabilities: Mapping[str, Any], own_port: int) -> list[str]:
    """``Convention Address.IPv4`` as ``host:port`` texts, or a ValueError that
    names the capability (raised where the caller of ActorSystem hears it)."""
    try:
        return leader_addresses(capabilities.get(CONVENTION_KEY), own_port)
    except ValueError as exc:
        raise ValueError(f"{CONVENTION_KEY}: {exc}") from None


def flag(capabilities: Mapping[str, Any], name: str) -> bool:
    """A bool capability (``Admin Routing``, ``Outbound Only``); a clear error otherwise."""
    value = capabilities.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, not {type(value).__name__} {value!r}")
    return value


def admin_port(capabilities: Mapping[str, Any], default: int, proto: str) -> int:
    """The ``Admin Port`` capability as an int; a clear error for anything else."""
    raw = capabilities.get("Admin Port", default)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(
            f"Admin Port must be an int (a {proto} port number), not {type(raw).__name__} {raw!r}"
        )
    if not 0 < raw < 65536:
        raise ValueError(f"Admin Port {raw} is not a {proto} port number (1-65535)")
    return raw


def max_message_size(capabilities: Mapping[str, Any]) -> int:
    """The ``Max Message Size`` capability (docs/api.md §9.4), checked."""
    limit = capabilities.get("Max Message Size", framing.DEFAULT_MAX)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise ValueError(f"Max Message Size must be a positive int, not {limit!r}")
    return limit

