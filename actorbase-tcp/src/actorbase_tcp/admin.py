"""The admin's TCP transport: its listener (the Admin Port), a connection per
actor process and per attached program, the direct connections it hands out,
and (through :mod:`.peers`) the connections to other systems' admins.

Every accepted connection must complete its handshake and a hello within the
hello deadline, or it is closed with a logged (rate-limited) reason; an
envelope whose sender is not the connection's own process is dropped and
logged. Knows connections and addresses, never actors.
"""
from __future__ import annotations

import errno
import os
import socket
import time
import traceback
from typing import Any, Sequence

from actorcore.plugin import (
    ActorLink,
    HelloRole,
    Poller,
    RateLimitedLog,
    Welcome,
    framing,
    hello,
    parse_hello,
)

from .addressing import process_key
from .conn import Conn
from .control import CONTROL, SWITCHED, Doorway, hello_limit, log, peer_text, sent_by, unix_listener
from .endpoint import EndpointTcpTransport, join
from .peers import PeerLinks
from .tls import TlsFiles

_FD_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_ACCEPT_PAUSE = 0.1  # seconds a listener rests when the process is out of descriptors


class AdminTcpTransport(Doorway):
    """The admin's side: its listener (the Admin Port), and a connection per
    actor process and per attached client."""

    links_are_addresses = True  # a new actor process connects by address: spares can serve
    # its actors and clients are on its host (a client attaches to a local
    # address only); other systems get kind-3 frames inlined (Router._portable)
    shared_memory = True

    def __init__(self, sock: socket.socket, me: str, token: str, limit: int, key: bytes,
                 outbound_only: bool = False, local: socket.socket | None = None,
                 tls: TlsFiles | None = None, admin_routing: bool = False,
                 unix: socket.socket | None = None) -> None:
        self.listener = sock
        # Admin Routing (implied by Outbound Only): no direct connections, so
        # the admin sees every message and dead-letters those of an exited actor
        self.admin_routing = admin_routing or outbound_only
        self.local = local  # 127.0.0.1 on the same port, when the Admin Port is on another address
        self.host, self.port = sock.getsockname()[:2]
        self.address = me
        self.token = token  # only processes this admin started know it: the "actor" hello
        self.key = key  # the handshake key
        self.tls = tls
        self.limit = limit
        self.refusals = RateLimitedLog(log)
        self.refused = 0  # connections dropped for what they sent (status counters)
        self.resting: dict[int, float] = {}  # listener fd -> when to accept again
        # Outbound Only: peers are never told where to connect; they use ours
        self.listen_address = "" if outbound_only else f"{self.host}:{self.port}"
        self.poller = Poller()
        self.poller.add(sock.fileno())
        self.links = PeerLinks(self)
        self.poller.add(self.links.wake_r)
        self.listeners = {sock.fileno(): sock}
        # its actor processes, and programs on this host, connect here instead
        # (control.connect_direct); bound by whoever bound the port (``unix``),
        # so a program attaching while the admin starts finds both
        if unix is None:
            unix = unix_listener(f"{self.host}:{self.port}")
        for extra in (local, unix):
            if extra is not None:
                self.listeners[extra.fileno()] = extra
                self.poller.add(extra.fileno())
        self.by_fd: dict[int, Conn] = {}
        self.hello_due: dict[int, float] = {}
        self.children: dict[str, Conn] = {}
        self.clients: dict[str, Conn] = {}
        self.listen_of: dict[str, str] = {}
        self.directs: set[tuple[str, str]] = set()
        self.client_seq = 0
        self.hello_limit = hello_limit()

    # -- the admin's interface ------------------------------------------------
    def child_link(self, child: Any) -> ActorLink[EndpointTcpTransport]:
        return ActorLink(join, f"{self.host}:{self.port}", child, self.token, self.limit, self.key,
                         self.tls)

    def child_started(self, child: Any) -> None:
        """The process connects by itself; nothing to hand over."""

    def final_from(self, child: Any) -> list[Any]:
        conn = self.children.get(child)
        if conn is None:
            return []
        try:
            return [e for e in conn.read() if e[0] != CONTROL]
        except framing.FrameError:
            return []

    def forget_child(self, child: Any) -> list[Any]:
        conn = self.children.pop(child, None)
        self.listen_of.pop(child, None)
        self.directs = {p for p in self.directs if child not in p}
        if conn is None:
            return []
        self._drop(conn)
        return [e for e in conn.take_pending() if e[0] != CONTROL]

    # -- other systems' admins (PeerTransport) ---------------------------------
    def peer_connect(self, where: str) -> None:
        self.links.connect(where)

    def peer_send(self, sysid: str, envelope: Any) -> bool:
        return self.links.send(sysid, envelope)

    def peer_close(self, sysid: str) -> None:
        self.links.close(sysid)

    def hello_admin(self) -> tuple[str, str, bytes]:
        return hello(HelloRole.ADMIN, key=self.address, listen=self.listen_address)

    def adopt(self, conn: Conn) -> None:
        """A connection we opened to a peer admin: read it like an accepted one."""
        self.by_fd[conn.fd] = conn
        self.hello_due[conn.fd] = time.monotonic() + self.hello_limit
        self.poller.add(conn.fd)

    def is_client(self, target: Any) -> bool:
        return process_key(target) in self.clients

    def send(self, target: Any, envelope: Any) -> None:
        key = process_key(target)
        conn = self.children.get(key) or self.clients.get(key)
        if conn is None:
            return
        sender = envelope[1]
        if sender != self.address:
            self._direct(process_key(sender), key, envelope[2])
        try:
            conn.put(envelope)
        except OSError:
            pass  # the process is gone; its end is noticed by its sentinel or EOF

    def _direct(self, s: str, t: str, data: bytes) -> None:
        if self.admin_routing or data == SWITCHED or s == t or (s, t) in self.directs:
            return
        listen = self.listen_of.get(t)
        down_s = self.children.get(s) or self.clients.get(s)
        down_t = self.children.get(t) or self.clients.get(t)
        if not listen or down_s is None or down_t is None:
            return
        self.directs.add((s, t))
        try:
            down_t.put((CONTROL, "direct-from", s.encode()))
            down_s.put((CONTROL, "direct-to", f"{t}\n{listen}".encode()))
        except OSError:
            pass

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        self.poller.set_extra(waitables)
        if self.hello_due or self.resting:
            if self.resting:
                self._wake_listeners()
            pause = 0.5 if not self.resting else _ACCEPT_PAUSE
            timeout = pause if timeout is None else min(timeout, pause)
        ready = self.poller.wait(timeout)
        envs: list[Any] = []
        others: list[Any] = []
        listeners = self.listeners
        for fd in ready:
            if fd in listeners:
                try:
                    self._accept(listeners[fd])
                except Exception:  # a fault of ours must not end the admin, and the system
                    log.error("admin: internal error while accepting:\n%s", traceback.format_exc())
                continue
            if fd == self.links.wake_r:
                self.links.on_wake()
                continue
            conn = self.by_fd.get(fd)
            if conn is None:
                others.append(fd)
                continue
            try:
                self._read(conn, envs)
            except Exception:  # one connection's fault costs that connection only
                log.error("admin: internal error while reading a connection:\n%s", traceback.format_exc())
                self._drop_after_fault(conn)
        if self.hello_due:
            self._expire_hellos()
        if self.links.events:
            envs.extend(self.links.take_events())
        return envs, others

    def _name(self) -> str:
        return "admin"

    def _admit(self, conn: Conn) -> None:
        self.by_fd[conn.fd] = conn

    def _accept_failed(self, listening: socket.socket, exc: OSError) -> None:
        # out of descriptors: the listener stays readable, so rest it
        # instead of spinning (and logging) until one is free again
        if exc.errno in _FD_ERRORS:
            fd = listening.fileno()
            self.poller.discard(fd)
            self.resting[fd] = time.monotonic() + _ACCEPT_PAUSE

    def _wake_listeners(self) -> None:
        now = time.monotonic()
        for fd, when in list(self.resting.items()):
            if now >= when:
                del self.resting[fd]
                self.poller.add(fd)

    def _read(self, conn: Conn, envs: list[Any]) -> None:
        try:
            got = conn.read()
        except framing.FrameError as exc:
            self.refused += 1
            self.refusals.warning("admin dropped a connection %s %s: %s",
                                  "to" if conn.where else "from", conn.where or self._who(conn), exc)
            if conn.where:
                self.links.failed_welcome(conn, str(exc))
            self._drop(conn)
            return
        for env in got:
            if conn.peer is None:
                if not self._greet(conn, env):
                    return
                envs.extend(self.links.take_events())  # peer-up before what the peer says
                continue
            if env[0] == CONTROL:
                continue
            if not conn.is_peer and (conn.peer, env[1]) != conn.sender and not sent_by(conn, env[1]):
                self.refused += 1
                self.refusals.warning("admin dropped a message from %s that claims to come from %r",
                                      conn.peer, env[1])
                continue
            envs.append(env)
        if conn.eof:
            if conn.partial:
                log.warning("admin: %s closed in the middle of a frame (%d bytes dropped)",
                             self._who(conn), conn.partial)
            if conn.is_peer or conn.where:
                if conn.peer is None:
                    self.links.failed_welcome(conn, "closed before its welcome")
                self._drop(conn)
            elif conn.peer is None or process_key(conn.peer) in self.clients:
                self.clients.pop(conn.peer or "", None)
                self._drop(conn)
            else:
                self.poller.discard(conn.fd)  # a child: its sentinel finishes the story

    def _greet(self, conn: Conn, env: Any) -> bool:
        self.hello_due.pop(conn.fd, None)
        if conn.where:  # we opened it: the peer admin answers with its welcome
            if env[0] == CONTROL and env[1] == "welcome-admin":
                sysid, _, listen = env[2].decode("utf-8", "replace").partition("\n")
                if sysid:
                    self.links.greeted(conn, sysid, listen, answer=False)
                    return True
            self.refusals.warning("admin dropped its connection to %s: not an actorcore TCP admin", conn.where)
            self.links.failed_welcome(conn, "it is not an actorcore TCP admin")
            self._drop(conn)
            return False
        said = parse_hello(env)
        if said is None:
            self.refusals.warning("admin dropped a connection from %s: it did not start with a hello",
                                  self._who(conn))
            self._drop(conn)
            return False
        role, token, key, listen = said
        if role == HelloRole.ACTOR and token == self.token:
            conn.peer = key
            self.children[key] = conn
            if listen:
                self.listen_of[key] = listen
            return True
        if role == HelloRole.ADMIN and key and "/" not in key and "+" not in key and ":" not in key:
            self.links.greeted(conn, key, listen, answer=True)
            return True
        if role == HelloRole.CLIENT:
            self.client_seq += 1
            prefix = f"{self.address}+{self.client_seq}:"
            conn.peer = prefix[:-1]
            self.clients[conn.peer] = conn
            if listen:
                self.listen_of[conn.peer] = listen
            conn.put(Welcome(prefix, self.address, os.getpid()).envelope())
            return True
        self.refusals.warning("admin dropped a connection from %s: unexpected hello %r", self._who(conn), role)
        self._drop(conn)
        return False

    def _expire(self, fd: int) -> None:
        conn = self.by_fd.get(fd)
        if conn is not None:
            self.refusals.warning("admin dropped a connection from %s: no handshake and hello "
                                  "within %g s", self._who(conn), self.hello_limit)
            self.links.failed_welcome(conn, f"no welcome within {self.hello_limit:g} s")
            self._drop(conn)

    def _drop_after_fault(self, conn: Conn) -> None:
        try:
            self.clients.pop(conn.peer or "", None)
            self._drop(conn)
        except Exception:
            log.error("admin: dropping a faulty connection failed:\n%s", traceback.format_exc())
            self.by_fd.pop(conn.fd, None)
            self.poller.discard(conn.fd)
            conn.close()

    def _who(self, conn: Conn) -> str:
        try:
            return peer_text(conn.sock.getpeername())
        except OSError:
            return "a peer"

    def _drop(self, conn: Conn) -> None:
        if conn.is_peer:
            self.links.ended(conn)
        self.by_fd.pop(conn.fd, None)
        self.hello_due.pop(conn.fd, None)
        self.poller.discard(conn.fd)
        conn.close()

    def backlog(self) -> int:
        return max((c.backlog() for c in self.by_fd.values()), default=0)

    drop = _drop

    def own_sockets(self) -> list[socket.socket]:
        """For runtime/forkclose.py, in a process just forked from the admin
        (no lock: no other thread runs there): the listeners, and every
        connection to a program, an actor or another admin."""
        conns = {id(c): c for c in (*self.by_fd.values(), *self.links.peers.values())}
        return [*self.listeners.values(), *(c.sock for c in conns.values())]

    def close(self) -> None:
        self.links.shutdown(5.0)  # a leaving system's goodbyes must reach its peers
        for conn in list(self.clients.values()):
            conn.flush(5.0)  # the clients are waiting for the last replies
        for conn in list(self.by_fd.values()):
            conn.close()
        for sock in self.listeners.values():
            sock.close()
