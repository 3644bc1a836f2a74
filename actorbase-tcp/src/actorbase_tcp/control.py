"""What the TCP transports of one system share besides envelopes: the switch
marker, the deadline for a new connection's handshake and hello (and how many
may wait for it at once), the check every envelope's sender passes, and the
listener connections are accepted on.

Knows connections and frames, never actors.
"""
from __future__ import annotations

import logging
import os
import socket

from actorcore.runtime.hello import CONTROL

from .addressing import process_key
from .conn import Conn

__all__ = ["CONTROL", "MAX_UNAUTHENTICATED", "SWITCHED", "hello_limit", "listener", "log", "sent_by"]

#: Sent through the admin just before a process first sends to another
#: directly: what it sent through the admin comes first.
SWITCHED = b"\x00actorcore-tcp:switched"
MAX_UNAUTHENTICATED = 128  # connections that have not completed their handshake and hello
log = logging.getLogger("actorcore.tcp")


def hello_limit() -> float:
    """Seconds a new connection has for its handshake and hello."""
    try:
        return max(0.1, float(os.environ.get("ACTORCORE_TCP_HELLO_SECONDS", "10")))
    except ValueError:
        return 10.0


def listener(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def sent_by(conn: Conn, sender: str) -> bool:
    """Whether ``sender`` names the process at the other end of ``conn``."""
    if process_key(sender) != conn.peer:
        return False
    conn.sender = (conn.peer, sender)
    return True
