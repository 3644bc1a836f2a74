"""What the TCP transports of one system share besides envelopes: the switch
marker, accepting connections with a deadline for each one's handshake and
hello (and a cap on how many may wait for it at once), the check every
envelope's sender passes, and the listener connections are accepted on.

Knows connections and frames, never actors.
"""
from __future__ import annotations

import logging
import os
import socket
import struct
import sys
import time

from actorcore.plugin import CONTROL, Poller, RateLimitedLog, env_seconds

from .addressing import hostport, process_key
from .conn import Conn
from .tls import TlsFiles

__all__ = ["CONTROL", "MAX_UNAUTHENTICATED", "SWITCHED", "Doorway", "connect_direct", "hello_limit",
           "listener", "log", "peer_text", "sent_by", "unix_listener"]

#: Sent through the admin just before a process first sends to another
#: directly: what it sent through the admin comes first.
SWITCHED = b"\x00actorcore-tcp:switched"
MAX_UNAUTHENTICATED = 128  # connections that have not completed their handshake and hello
log = logging.getLogger("actorcore.tcp")


def hello_limit() -> float:
    """Seconds a new connection has for its handshake and hello."""
    return env_seconds("ACTORCORE_TCP_HELLO_SECONDS", 10.0, 0.1)


def listener(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def local_sockets() -> bool:
    """Whether direct connections on this host go over Unix sockets (docs/tcp.md):
    Linux (abstract names), unless ``ACTORCORE_TCP_UNIX=0``."""
    return sys.platform.startswith("linux") and os.environ.get("ACTORCORE_TCP_UNIX", "1") != "0"


def unix_name(where: str) -> str:
    """The abstract Unix socket beside the TCP listener at ``where``. Abstract
    names live in the network namespace, as ports do, and vanish with their
    socket, so while a process listens on ``where`` the name is its own."""
    return "\0actorcore-tcp/" + where


def unix_listener(where: str) -> socket.socket | None:
    """A listener at :func:`unix_name` of ``where`` (the TCP listener's
    address); None when Unix sockets are off or the name cannot be had."""
    if not local_sockets():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(unix_name(where))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        log.debug("no Unix listener beside %s: %s", where, exc)
        return None
    sock.setblocking(False)
    return sock


_CRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


def listener_uid(sock: socket.socket) -> int:
    """The user of the process that listens at the other end of a connected
    Unix socket (SO_PEERCRED, as the kernel recorded it at connect)."""
    return _CRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size))[1]


def connect_direct(where: str, timeout: float) -> socket.socket:
    """A connection to the listener at ``where``: through its Unix socket when
    it has one on this host (a shorter path through the kernel than loopback
    TCP), else over TCP. Who answers proves the secret either way (the handshake).

    Unlike a port, an abstract name can be taken by anyone on the host,
    including names no process of ours holds (a remote peer's address): a
    name held by another user is passed over, so such a squatter neither
    sees our connections nor holds them up until the handshake times out."""
    if local_sockets():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(unix_name(where))
            if listener_uid(sock) == os.geteuid():
                return sock
            log.warning("the Unix socket beside %s belongs to another user; connecting over TCP", where)
        except OSError:  # not on this host, or not listening there: TCP decides
            pass
        sock.close()
    sock = socket.create_connection(hostport(where), timeout=timeout)
    if sock.getsockname()[:2] == sock.getpeername()[:2]:
        # TCP's simultaneous open: with nothing listening, connect() took the
        # very port it connects to as its own (an ephemeral port, picked as
        # "free" a moment ago) and reached itself. Nobody listens there.
        sock.close()
        raise ConnectionRefusedError(f"nothing listens on {where}")
    return sock


def peer_text(addr: object) -> str:
    """Who connected, for the log: ``host:port``, or a Unix socket's (unnamed) peer."""
    if isinstance(addr, tuple) and len(addr) >= 2:
        return f"{addr[0]}:{addr[1]}"
    return "a local process (Unix socket)"


def sent_by(conn: Conn, sender: str) -> bool:
    """Whether ``sender`` names the process at the other end of ``conn``."""
    if process_key(sender) != conn.peer:
        return False
    conn.sender = (conn.peer, sender)
    return True


class Doorway:
    """Accepting connections, each with a deadline for its handshake and hello:
    what the admin's and the other processes' transports share. The transport
    sets the attributes below and says where a new connection goes
    (:meth:`_admit`) and what becomes of one past its deadline (:meth:`_expire`)."""

    key: bytes
    limit: int
    tls: TlsFiles | None
    poller: Poller
    refusals: RateLimitedLog
    hello_limit: float
    #: accepted connections (by fd) that have not said hello yet, and when they must have
    hello_due: dict[int, float]
    refused: int  # connections refused or dropped for what they did (status counters)

    def _name(self) -> str:
        """Who accepts, for the log."""
        raise NotImplementedError

    def _admit(self, conn: Conn) -> None:
        """Keep ``conn``, just accepted, until its hello or its deadline."""
        raise NotImplementedError

    def _expire(self, fd: int) -> None:
        """The connection at ``fd`` said no hello in time (it is out of ``hello_due``)."""
        raise NotImplementedError

    def _accept_failed(self, listening: socket.socket, exc: OSError) -> None:
        """Accepting on ``listening`` failed (logged already)."""

    def _accept(self, listening: socket.socket) -> None:
        while True:
            try:
                sock, addr = listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.refusals.warning("%s cannot accept connections: %s", self._name(),
                                      exc.strerror or exc)
                self._accept_failed(listening, exc)
                return
            if len(self.hello_due) >= MAX_UNAUTHENTICATED:
                self.refused += 1
                self.refusals.warning("%s refused a connection from %s: %d connections have not "
                                      "authenticated yet", self._name(), peer_text(addr), len(self.hello_due))
                sock.close()
                continue
            conn = Conn(sock, self.key, initiator=False, limit=self.limit, tls=self.tls)
            self._admit(conn)
            self.hello_due[conn.fd] = time.monotonic() + self.hello_limit
            self.poller.add(conn.fd)

    def _expire_hellos(self) -> None:
        now = time.monotonic()
        for fd, due in list(self.hello_due.items()):
            if now > due:
                self.hello_due.pop(fd, None)
                self._expire(fd)
