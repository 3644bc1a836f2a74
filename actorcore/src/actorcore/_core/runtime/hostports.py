"""Hosts and ``host:port`` texts as users write them, and the look-ups that
give them meaning (DNS, the route to a leader).

Apart from the socket helpers (:mod:`.netbase`) and the convention code
(:mod:`.conventions`) so that both can read a leader's address without either
importing the other. Knows text, names and routes; never actors or peers.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

#: The capability naming a system's convention leader(s).
CONVENTION_KEY = "Convention Address.IPv4"


def base_ipaddr() -> str | None:
    """``THESPIAN_BASE_IPADDR`` as a numeric IPv4 address, or None when unset.

    Thespian's guide suggests a name such as ``localhost``; addresses the
    transports exchange are numeric (a UDP peer is known by the address its
    datagrams come from), so a name is resolved here, once. A name that does
    not resolve is a ValueError naming the variable.
    """
    raw = os.environ.get("THESPIAN_BASE_IPADDR", "").strip()
    if not raw:
        return None
    try:
        return str(ipaddress.IPv4Address(raw))
    except ValueError:
        pass
    try:
        return socket.gethostbyname(raw)
    except OSError as exc:
        raise ValueError(
            f"THESPIAN_BASE_IPADDR={raw!r} is neither an IPv4 address nor a name that "
            f"resolves to one ({exc}); set it to one of this host's IPv4 addresses"
        ) from None


def this_host() -> str:
    """The host an empty host part names: where this host's admins listen
    (``THESPIAN_BASE_IPADDR`` if set, else loopback, as in
    :func:`.netbase.local_ip`). Thespian's examples write a leader on the
    same host as ``("", port)``."""
    return base_ipaddr() or "127.0.0.1"


def leader_addresses(value: Any, default_port: int) -> list[str]:
    """``Convention Address.IPv4`` as ``"host:port"`` strings, in priority order.

    Accepts ``("host", port)``, ``"host:port"``, ``"host"`` (own Admin Port)
    or a list of these; an empty host (``("", 1900)``, ``":1900"``) is this
    host (:func:`this_host`). Raises ValueError naming anything else.
    """
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    return [hostport_text(item, default_port) for item in items]


def hostport_text(item: Any, default_port: int) -> str:
    """One address written as the user may write it, as ``"host:port"``."""
    if isinstance(item, tuple) and len(item) == 2:
        host, port = item
    elif isinstance(item, str):
        host, sep, port_text = item.strip().rpartition(":")
        if not sep:
            host, port = port_text, default_port
        else:
            try:
                port = int(port_text)
            except ValueError:
                raise ValueError(f"{item!r}: the port after ':' must be a number") from None
    else:
        raise ValueError(f"{item!r} is not an address: use 'host:port', ('host', port) or 'host'")
    if not isinstance(host, str):
        raise ValueError(f"{item!r}: the host part must be a string, not {type(host).__name__}")
    host = host.strip() or this_host()
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"{item!r}: {port!r} is not a port number (1-65535)")
    return f"{host}:{port}"


def same_place(a: str, b: str) -> bool:
    """Whether two ``host:port`` texts name the same admin (host names resolved)."""
    if a == b:
        return True
    ha, _, pa = a.rpartition(":")
    hb, _, pb = b.rpartition(":")
    if pa != pb:
        return False
    try:
        return socket.gethostbyname(ha) == socket.gethostbyname(hb)
    except OSError:
        return False


def local_ip_for(leaders: list[str]) -> str | None:
    """The local address of the interface that reaches the first leader (no
    packet is sent: a UDP socket's connect only picks the route)."""
    for where in leaders:
        host, _, port = where.rpartition(":")
        try:
            addr = socket.gethostbyname(host)
        except OSError:
            continue
        if addr.startswith("127."):
            return "127.0.0.1"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((addr, int(port)))
                return str(probe.getsockname()[0])
            except OSError:
                continue
    return None
