"""The TCP transport of a program that creates or attaches to a system: it
attaches to the admin on the Admin Port, or binds that port for an admin it
is about to start (and, for a convention member, first checks that the
leader can be reached). Knows connections and addresses, never actors.
"""
from __future__ import annotations

import errno
import os
import socket
import time
from functools import partial
from typing import Sequence

from actorcore.plugin import (
    AdminLink,
    AttachState,
    HelloRole,
    Welcome,
    env_seconds,
    framing,
    hello,
    port_holder,
    read_welcome,
)

from .addressing import hostport
from .admin import AdminTcpTransport
from .conn import AuthError, Conn
from .control import CONTROL, connect_direct, listener, log, unix_listener
from .endpoint import EndpointTcpTransport
from .peers import connect_error
from .tls import TlsFiles


def probe_limit() -> float:
    """Seconds to wait for each convention leader in :meth:`ClientTcpTransport.preflight`."""
    return env_seconds("ACTORCORE_LEADER_PROBE_SECONDS", 5.0, 0.2)


def bind_problem(host: str, port: int, exc: OSError) -> str:
    """Why the Admin Port could not be bound, and what to change."""
    if exc.errno == errno.EADDRINUSE:
        holder = port_holder(port)
        return (f"{host}:{port} is already in use" + (f" by {holder}" if holder else "")
                + "; pick another 'Admin Port' capability, or stop what holds it")
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"{host} is not an address of this host (from THESPIAN_BASE_IPADDR or the "
                "route toward the leader); set THESPIAN_BASE_IPADDR to one of this host's addresses")
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def _local_listener(sock: socket.socket) -> socket.socket | None:
    """A listener on 127.0.0.1 at the port of ``sock``, when ``sock`` listens on
    another address: programs on this host attach with just {"Admin Port": P}."""
    host, port = sock.getsockname()[:2]
    if host.startswith("127.") or host == "0.0.0.0":  # 0.0.0.0 takes loopback too
        return None
    try:
        return listener("127.0.0.1", port)
    except OSError as exc:
        log.warning("admin on %s:%d cannot also listen on 127.0.0.1:%d (%s); local "
                    "programs must set THESPIAN_BASE_IPADDR=%s to attach", host, port, port,
                    exc.strerror or exc, host)
        return None


class ClientTcpTransport(EndpointTcpTransport):
    """An ActorSystem's side: attaches to the admin on the Admin Port, or
    prepares one to be started there."""

    def __init__(self, host: str, port: int, limit: int, key: bytes, outbound_only: bool = False,
                 leaders: Sequence[str] = (), tls: TlsFiles | None = None,
                 admin_routing: bool = False) -> None:
        try:
            super().__init__("", host, limit, key, avoid=port, tls=tls)
        except OSError as exc:  # before any connect: a foreign address must not send a packet
            raise ConnectionError(bind_problem(host, port, exc)) from None
        self.outbound_only = outbound_only
        self.admin_routing = admin_routing
        self.leaders = list(leaders)
        self.admin_host = host
        self.admin_port = port
        self.admin_address = ""
        self.client_prefix = ""
        self.admin_pid = 0

    def admin_link(self) -> AdminLink[AdminTcpTransport]:
        try:
            sock = listener(self.admin_host, self.admin_port)
        except OSError as exc:
            raise OSError(exc.errno, bind_problem(self.admin_host, self.admin_port, exc)) from None
        local = _local_listener(sock)
        # with the port: a program that attaches before the admin has started
        # (this one, or another) reaches it over Unix as it would later
        unix = unix_listener("%s:%d" % sock.getsockname()[:2])
        make = partial(AdminTcpTransport, key=self.key, outbound_only=self.outbound_only,
                       local=local, tls=self.tls, admin_routing=self.admin_routing, unix=unix)
        return AdminLink(make, sock, f"T{os.urandom(4).hex()}", os.urandom(16).hex(), self.limit,
                         held=tuple(s for s in (local, unix) if s is not None))

    def preflight(self) -> None:
        """Before starting an admin that joins a convention: every leader address
        must resolve, and at least one must be reachable (a refused connect is
        fine: that leader is not up yet and will be retried). Raises
        ConnectionError saying which address failed and what to change."""
        if not self.leaders:
            return
        problems = []
        limit = probe_limit()
        for where in self.leaders:
            try:
                socket.create_connection(hostport(where), timeout=limit).close()
                return
            except ConnectionRefusedError:
                return
            except OSError as exc:
                problems.append(f"{where}: {connect_error(exc, limit)[1]}")
        raise ConnectionError(
            "the convention leader cannot be reached from this host (" + "; ".join(problems)
            + "). Check 'Convention Address.IPv4', the network between the hosts, and "
            "THESPIAN_BASE_IPADDR"
        )

    def try_attach(self, wait: float = 0.0) -> AttachState:
        """Connect to an admin on the Admin Port: ATTACHED, ABSENT (nothing
        listens), or raise ConnectionError naming what answered instead."""
        where = f"{self.admin_host}:{self.admin_port}"
        deadline = time.monotonic() + wait
        while True:
            try:
                sock = connect_direct(where, timeout=2)
                break
            except ConnectionRefusedError:
                if time.monotonic() >= deadline:
                    return AttachState.ABSENT
                time.sleep(0.02)
            except OSError as exc:
                raise ConnectionError(f"cannot reach {where}: {exc}") from None
        conn = Conn(sock, self.key, initiator=True, peer="admin", limit=self.limit, tls=self.tls)
        limit = max(5.0, wait)
        try:
            conn.authenticate(limit)
        except AuthError as exc:
            conn.close()
            if exc.denied:
                raise PermissionError(f"{exc}. Programs that share a system need the same secret "
                                      "and, with TLS, certificates of the same CA (docs/security.md)") from None
            raise self._not_an_admin(str(exc)) from None
        except ConnectionError as exc:
            conn.close()
            raise self._not_an_admin(str(exc)) from None
        conn.put(hello(HelloRole.CLIENT, listen=self.listen_addr))
        welcome = self._welcome(conn, limit)
        if welcome is None:
            conn.close()
            raise self._not_an_admin(f"no welcome within {limit:g} s")
        self.link = conn
        self.inputs[conn.fd] = conn
        self.poller.add(conn.fd)
        self.client_prefix, self.address = welcome.prefix, welcome.address
        self.admin_address, self.admin_pid = welcome.admin, welcome.pid
        return AttachState.ATTACHED

    def _not_an_admin(self, why: str) -> ConnectionError:
        holder = port_holder(self.admin_port)
        return ConnectionError(f"something listens on {self.admin_host}:{self.admin_port} but it is "
                               f"not an actorcore TCP admin ({why}){': ' + holder if holder else ''}")

    def _welcome(self, conn: Conn, limit: float) -> Welcome | None:
        import select

        deadline = time.monotonic() + limit
        poll = select.poll()
        poll.register(conn.fd, select.POLLIN)
        while time.monotonic() < deadline:
            poll.poll(100)
            try:
                got = conn.read(one=True)
            except framing.FrameError:
                return None
            if got:
                target, op, data = got[0]
                if target != CONTROL or op != "welcome":
                    return None
                return read_welcome(data.decode("utf-8", "replace"))
            if conn.eof:
                return None
        return None
