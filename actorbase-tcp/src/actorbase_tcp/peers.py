"""Connections between admins of different systems (conventions).

A connection to a peer admin is opened by whichever side needs it first and
then used both ways; the side that cannot be connected to (Outbound Only)
simply never gets asked. Connects run on short-lived threads so an
unreachable peer never stalls the admin loop; the result comes back through
a wake-up pipe the admin's poller watches, and every change reaches the
admin in-band as a peer event (see ``actorcore._core.transport.PeerTransport``).
"""
from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
from collections import deque
from typing import Any

from actorcore.plugin import PeerEvent, PeerFailure, env_seconds

from .addressing import hostport
from .conn import Conn

CONTROL = ""
_log = logging.getLogger("actorcore.tcp")


def _connect_timeout() -> float:
    return env_seconds("ACTORCORE_TCP_CONNECT_SECONDS", 5.0, 0.2)


def connect_error(exc: BaseException, timeout: float) -> tuple[PeerFailure, str]:
    """Why a connect failed: the kind the convention code acts on (REFUSED:
    the host answered, nothing listens), and the words for a person."""
    if isinstance(exc, ConnectionRefusedError):
        return PeerFailure.REFUSED, "nothing listens there"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return PeerFailure.UNREACHABLE, f"no answer within {timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return PeerFailure.UNREACHABLE, f"the host name does not resolve ({exc.strerror or exc})"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return PeerFailure.UNREACHABLE, str(exc.strerror)
    return PeerFailure.UNREACHABLE, str(exc)


def failed(where: str, kind: PeerFailure, why: str) -> tuple[str, PeerEvent, bytes]:
    """The event for a connect to ``where`` that failed (its reason starts with ``kind``)."""
    return (CONTROL, PeerEvent.FAILED, f"{where}\n{kind.value}: {why}".encode())


class PeerLinks:
    """The admin transport's half that deals with other admins."""

    def __init__(self, transport: Any) -> None:
        self.t = transport
        self.peers: dict[str, Conn] = {}  # sysid -> the connection in use
        self.connecting: set[str] = set()
        self.done: deque[tuple[str, socket.socket | None, tuple[PeerFailure, str]]] = deque()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.events: list[Any] = []

    # -- opening -------------------------------------------------------------
    def connect(self, where: str) -> None:
        if where in self.connecting or any(c.where == where for c in self.peers.values()):
            return
        try:
            hostport(where)
        except ValueError:
            self.events.append(failed(where, PeerFailure.UNREACHABLE, "not host:port"))
            return
        self.connecting.add(where)
        threading.Thread(target=self._connect, args=(where,), daemon=True,
                         name=f"actorcore-tcp-connect {where}").start()

    def _connect(self, where: str) -> None:
        timeout = _connect_timeout()
        try:
            sock: socket.socket | None = socket.create_connection(hostport(where), timeout=timeout)
            why = (PeerFailure.UNREACHABLE, "")
        except OSError as exc:
            sock, why = None, connect_error(exc, timeout)
        self.done.append((where, sock, why))
        try:
            os.write(self.wake_w, b"!")
        except OSError:
            pass

    def on_wake(self) -> None:
        """The admin's poller saw the wake-up pipe: finish the connects that completed."""
        try:
            while os.read(self.wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass
        while self.done:
            where, sock, why = self.done.popleft()
            self.connecting.discard(where)
            if sock is None:
                self.events.append(failed(where, *why))
                continue
            try:
                conn = Conn(sock, self.t.key, initiator=True, limit=self.t.limit, tls=self.t.tls)
                conn.where = where
                conn.put(self.t.hello_admin())
            except OSError as exc:
                sock.close()
                self.events.append(failed(where, PeerFailure.UNREACHABLE, str(exc)))
                continue
            self.t.adopt(conn)

    # -- the handshake ---------------------------------------------------------
    def greeted(self, conn: Conn, sysid: str, listen: str, answer: bool) -> None:
        """A peer admin said who it is (in its hello, or in its welcome to ours)."""
        conn.peer = sysid
        conn.listen = listen
        conn.is_peer = True
        if answer:
            conn.put((CONTROL, "welcome-admin", f"{self.t.address}\n{self.t.listen_address}".encode()))
        self.peers[sysid] = conn  # the newest connection wins; an older one is read until it ends
        self.events.append((CONTROL, PeerEvent.UP, f"{sysid}\n{listen}\n{conn.where}".encode()))

    def failed_welcome(self, conn: Conn, why: str) -> None:
        if conn.where:
            self.events.append(failed(conn.where, PeerFailure.UNREACHABLE, why))

    def ended(self, conn: Conn) -> None:
        """A peer connection reached EOF or broke."""
        if conn.peer is not None and self.peers.get(conn.peer) is conn:
            del self.peers[conn.peer]
            self.events.append((CONTROL, PeerEvent.DOWN, conn.peer.encode()))

    # -- use -----------------------------------------------------------------
    def send(self, sysid: str, envelope: Any) -> bool:
        conn = self.peers.get(sysid)
        if conn is None:
            return False
        try:
            conn.put(envelope)
            return True
        except OSError:
            self.ended(conn)
            self.t.drop(conn)
            return False

    def close(self, sysid: str) -> None:
        conn = self.peers.pop(sysid, None)
        if conn is not None:
            self.t.drop(conn)

    def take_events(self) -> list[Any]:
        events, self.events = self.events, []
        return events

    def shutdown(self, flush: float) -> None:
        deadline = time.monotonic() + flush
        for conn in list(self.peers.values()):
            conn.flush(max(0.0, deadline - time.monotonic()))
        for fd in (self.wake_r, self.wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
