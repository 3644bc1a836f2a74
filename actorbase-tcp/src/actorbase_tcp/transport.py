"""TCP transport: every process links to the admin over one connection; the
admin forwards, and hands processes that talk to each other a direct
connection (a ``direct-to`` with the peer's listening address). The sender
switches after a ``SWITCHED`` marker sent through the admin, and the peer
reads the direct connection only after that marker, so order per sender is
kept across the switch.

Every connection first runs the handshake of ``actorcore.handshake`` (see
``conn.py``): nothing a peer sends before it has proven it holds the secret
is handed on, and after it every frame is sealed. Then it opens with a hello
frame (target ``""``): ``actor`` (an actor process of this system, carrying
the system's token), ``client`` (an ActorSystem in some process, answered
with ``welcome`` and its address prefix), ``admin`` (another system's admin),
or ``peer`` (a direct connection). Anything else, a frame over the size
limit, a failed handshake or silence past the hello deadline closes the
connection with a logged (rate-limited) reason; the admin keeps serving.
After the hello, an envelope whose sender is not the connection's own
process is dropped and logged.
"""
from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
from typing import Any, Sequence

from actorcore.runtime import framing
from actorcore.runtime.netbase import avoiding
from actorcore.runtime.poller import Poller
from actorcore.runtime.portinfo import port_holder
from actorcore.runtime.ratelog import RateLimitedLog
from actorcore.transport import AttachState

from .addressing import hostport, process_key
from .conn import AuthError, Conn
from .peers import PeerLinks, connect_error
from .tls import TlsFiles

CONTROL = ""
SWITCHED = b"\x00actorcore-tcp:switched"

def _probe_limit() -> float:
    try:
        return max(0.2, float(os.environ.get("ACTORCORE_LEADER_PROBE_SECONDS", "5")))
    except ValueError:
        return 5.0


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


def _hello_limit() -> float:
    try:
        return max(0.1, float(os.environ.get("ACTORCORE_TCP_HELLO_SECONDS", "10")))
    except ValueError:
        return 10.0


_log = logging.getLogger("actorcore.tcp")
MAX_UNAUTHENTICATED = 128  # connections that have not completed their handshake and hello
_FD_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_ACCEPT_PAUSE = 0.1  # seconds a listener rests when the process is out of descriptors


def _hello(role: str, token: str, key: str, listen: str) -> tuple[str, str, bytes]:
    return (CONTROL, "hello", f"{role}\n{token}\n{key}\n{listen}".encode())


def _parse_hello(env: tuple[str, str, bytes]) -> tuple[str, str, str, str] | None:
    target, op, data = env
    if target != CONTROL or op != "hello":
        return None
    parts = data.decode("utf-8", "replace").split("\n")
    if len(parts) != 4:
        return None
    return parts[0], parts[1], parts[2], parts[3]


def listener(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock



def _sent_by(conn: Conn, sender: str) -> bool:
    """Whether ``sender`` names the process at the other end of ``conn``."""
    if process_key(sender) != conn.peer:
        return False
    conn.sender = (conn.peer, sender)
    return True

class AdminTcpTransport:
    """The admin's side: its listener (the Admin Port), and a connection per
    actor process and per attached client."""

    links_are_addresses = True  # a new actor process connects by address: spares can serve

    def __init__(self, sock: socket.socket, me: str, token: str, limit: int, key: bytes,
                 outbound_only: bool = False, local: socket.socket | None = None,
                 tls: TlsFiles | None = None, admin_routing: bool = False) -> None:
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
        self.refusals = RateLimitedLog(_log)
        self.refused = 0  # connections dropped for what they sent (status counters)
        self.resting: dict[int, float] = {}  # listener fd -> when to accept again
        # Outbound Only: peers are never told where to connect; they use ours
        self.listen_address = "" if outbound_only else f"{self.host}:{self.port}"
        self.poller = Poller()
        self.poller.add(sock.fileno())
        self.links = PeerLinks(self)
        self.poller.add(self.links.wake_r)
        self.listeners = {sock.fileno(): sock}
        if local is not None:
            self.listeners[local.fileno()] = local
            self.poller.add(local.fileno())
        self.by_fd: dict[int, Conn] = {}
        self.hello_due: dict[int, float] = {}
        self.children: dict[str, Conn] = {}
        self.clients: dict[str, Conn] = {}
        self.listen_of: dict[str, str] = {}
        self.directs: set[tuple[str, str]] = set()
        self.client_seq = 0
        self.hello_limit = _hello_limit()

    # -- the admin's interface ------------------------------------------------
    def child_link(self, child: Any) -> TcpActorLink:
        return TcpActorLink(f"{self.host}:{self.port}", child, self.address, self.token, self.limit,
                            self.key, self.tls)

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
        return _hello("admin", "", self.address, self.listen_address)

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
                self._accept(listeners[fd])
                continue
            if fd == self.links.wake_r:
                self.links.on_wake()
                continue
            conn = self.by_fd.get(fd)
            if conn is None:
                others.append(fd)
                continue
            self._read(conn, envs)
        if self.hello_due:
            self._expire_hellos()
        if self.links.events:
            envs.extend(self.links.take_events())
        return envs, others

    def _accept(self, listening: socket.socket) -> None:
        while True:
            try:
                sock, addr = listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                # out of descriptors: the listener stays readable, so rest it
                # instead of spinning (and logging) until one is free again
                self.refusals.warning("admin cannot accept connections: %s", exc.strerror or exc)
                if exc.errno in _FD_ERRORS:
                    fd = listening.fileno()
                    self.poller.discard(fd)
                    self.resting[fd] = time.monotonic() + _ACCEPT_PAUSE
                return
            if len(self.hello_due) >= MAX_UNAUTHENTICATED:
                self.refused += 1
                self.refusals.warning("admin refused a connection from %s:%s: %d connections have "
                                      "not authenticated yet", *addr[:2], len(self.hello_due))
                sock.close()
                continue
            conn = Conn(sock, self.key, initiator=False, limit=self.limit, tls=self.tls)
            self.by_fd[conn.fd] = conn
            self.hello_due[conn.fd] = time.monotonic() + self.hello_limit
            self.poller.add(conn.fd)

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
            if not conn.is_peer and (conn.peer, env[1]) != conn.sender and not _sent_by(conn, env[1]):
                self.refused += 1
                self.refusals.warning("admin dropped a message from %s that claims to come from %r",
                                      conn.peer, env[1])
                continue
            envs.append(env)
        if conn.eof:
            if conn.partial:
                _log.warning("admin: %s closed in the middle of a frame (%d bytes dropped)",
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
        hello = _parse_hello(env)
        if hello is None:
            self.refusals.warning("admin dropped a connection from %s: it did not start with a hello",
                                  self._who(conn))
            self._drop(conn)
            return False
        role, token, key, listen = hello
        if role == "actor" and token == self.token:
            conn.peer = key
            self.children[key] = conn
            if listen:
                self.listen_of[key] = listen
            return True
        if role == "admin" and key and "/" not in key and "+" not in key and ":" not in key:
            self.links.greeted(conn, key, listen, answer=True)
            return True
        if role == "client":
            self.client_seq += 1
            prefix = f"{self.address}+{self.client_seq}:"
            conn.peer = prefix[:-1]
            self.clients[conn.peer] = conn
            if listen:
                self.listen_of[conn.peer] = listen
            conn.put((CONTROL, "welcome", f"{prefix}\n{self.address}\n{os.getpid()}".encode()))
            return True
        self.refusals.warning("admin dropped a connection from %s: unexpected hello %r", self._who(conn), role)
        self._drop(conn)
        return False

    def _expire_hellos(self) -> None:
        now = time.monotonic()
        for fd, due in list(self.hello_due.items()):
            if now > due:
                conn = self.by_fd.get(fd)
                self.hello_due.pop(fd, None)
                if conn is not None:
                    self.refusals.warning("admin dropped a connection from %s: no handshake and hello "
                                          "within %g s", self._who(conn), self.hello_limit)
                    self.links.failed_welcome(conn, f"no welcome within {self.hello_limit:g} s")
                    self._drop(conn)

    def _who(self, conn: Conn) -> str:
        try:
            return "%s:%s" % conn.sock.getpeername()[:2]
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

    def close(self) -> None:
        self.links.shutdown(5.0)  # a leaving system's goodbyes must reach its peers
        for conn in list(self.clients.values()):
            conn.flush(5.0)  # the clients are waiting for the last replies
        for conn in list(self.by_fd.values()):
            conn.close()
        for sock in self.listeners.values():
            sock.close()


class TcpActorLink:
    """What an actor process needs to join its system: where the admin listens."""

    def __init__(self, admin: str, me: str, admin_id: str, token: str, limit: int, key: bytes,
                 tls: TlsFiles | None) -> None:
        self.admin = admin
        self.me = me
        self.admin_id = admin_id
        self.token = token
        self.limit = limit
        self.key = key
        self.tls = tls

    def open(self) -> EndpointTcpTransport:
        host, _ = hostport(self.admin)
        t = EndpointTcpTransport(self.me, host, self.limit, self.key, one_at_a_time=True, tls=self.tls)
        t.connect_admin(self.admin, _hello("actor", self.token, self.me, t.listen_addr))
        return t


class EndpointTcpTransport:
    """An actor's or a client's side: the link to the admin, a listener for
    direct connections in, and direct connections out."""

    #: what reached a socket of a process that closed it unread is lost: an
    #: exiting actor reads on until the admin has seen its exit (ActorManager)
    drain_on_exit = True

    def __init__(self, me: str, host: str, limit: int, key: bytes, one_at_a_time: bool = False,
                 avoid: int = 0, tls: TlsFiles | None = None) -> None:
        self.address = me
        self.limit = limit
        self.key = key
        self.tls = tls
        self.refusals = RateLimitedLog(_log)
        self.hello_limit = _hello_limit()
        self.one_at_a_time = one_at_a_time
        self.listener = avoiding(lambda: listener(host, 0), avoid)
        self.listen_addr = "%s:%d" % self.listener.getsockname()[:2]
        self.poller = Poller()
        self.poller.add(self.listener.fileno())
        self.link: Conn | None = None
        self.out: dict[str, Conn] = {}
        self.opening: dict[str, str] = {}
        self.unknown: dict[int, Conn] = {}  # accepted, hello not read yet
        self.unknown_due: dict[int, float] = {}
        self.waiting: dict[str, Conn] = {}  # hello read, marker not yet seen
        self.early: set[str] = set()  # marker seen before the hello
        self.inputs: dict[int, Conn] = {}

    # -- set-up --------------------------------------------------------------
    def connect_admin(self, admin: str, hello: tuple[str, str, bytes]) -> None:
        sock = socket.create_connection(hostport(admin), timeout=10)
        self.link = Conn(sock, self.key, initiator=True, peer="admin", limit=self.limit, tls=self.tls)
        self.link.authenticate(10.0)
        self.link.put(hello)
        self.inputs[self.link.fd] = self.link
        self.poller.add(self.link.fd)

    @property
    def admin_lost(self) -> bool:
        return self.link is None or self.link.eof or self.link.broken

    # -- sending -------------------------------------------------------------
    def send(self, target: Any, envelope: Any) -> None:
        key = process_key(target)
        conn = self.out.get(key)
        if conn is None and key in self.opening:
            conn = self._open(key, target)
        link = self.link
        assert link is not None
        if conn is None:
            link.put(envelope)
            return
        try:
            if conn.peer_gone():  # seen before sending: this message is not lost with it
                raise BrokenPipeError("peer closed")
            conn.put(envelope)
        except OSError:  # the peer is gone: what is left goes through the admin
            self.out.pop(key, None)
            for env in conn.take_pending():
                link.put(env)
            conn.close()
            link.put(envelope)

    def _open(self, key: str, target: str) -> Conn | None:
        where = self.opening.pop(key)
        try:
            sock = socket.create_connection(hostport(where), timeout=2)
        except OSError:
            return None  # keep going through the admin
        try:
            conn = Conn(sock, self.key, initiator=True, peer=key, limit=self.limit, tls=self.tls)
            conn.put(_hello("peer", "", process_key(self.address), ""))
        except OSError:
            sock.close()
            return None
        assert self.link is not None
        self.link.put((target, self.address, SWITCHED))  # what went via the admin comes first
        self.out[key] = conn
        # The handshake needs the peer's answer, and neither an actor's loop nor
        # a program that only tells may wait for it: a helper thread completes
        # it while what is sent meanwhile waits, in order, in the connection.
        threading.Thread(target=self._authenticate_direct, args=(conn,), daemon=True,
                         name=f"actorcore-tcp-direct {key}").start()
        return conn

    def _authenticate_direct(self, conn: Conn) -> None:
        try:
            conn.authenticate(self.hello_limit)
            return
        except (framing.FrameError, OSError) as exc:
            self.refusals.warning("%s: no direct connection to %s (%s); sending through the admin",
                                  self.address, conn.peer, exc)
        link = self.link
        try:
            for env in conn.abandon():  # what waited on it goes through the admin, in order
                if link is not None:
                    link.put(env)
        except OSError:
            pass  # the admin is gone too: this process is ending
        finally:
            conn.settled()  # close() may go on: nothing is left to reroute

    # -- receiving -----------------------------------------------------------
    def _take(self, conn: Conn) -> list[Any]:
        out: list[Any] = []
        while True:  # a control frame read alone must not hide frames already buffered
            got = self._take_some(conn)
            if got is None:
                break
            out.extend(got)
            if out or not self.one_at_a_time:
                break
        if conn.eof and conn is not self.link and not out:
            self._forget_input(conn)
        return out

    def _take_some(self, conn: Conn) -> list[Any] | None:
        """What one read gives (None: nothing at all), control frames handled."""
        try:
            envs = conn.read(one=self.one_at_a_time)
        except framing.FrameError as exc:
            self.refusals.warning("%s dropped a connection: %s", self.address, exc)
            envs = []
            conn.eof = True
        if not envs:
            return None
        out = []
        direct = conn is not self.link
        for env in envs:
            target, op, data = env
            if direct and (conn.peer, op) != conn.sender and not _sent_by(conn, op):
                self.refusals.warning("%s dropped a message from %s that claims to come from %r",
                                      self.address, conn.peer, op)
                continue
            if target == CONTROL:
                if op == "direct-to":
                    peer, _, where = data.decode().partition("\n")
                    if peer not in self.out:
                        self.opening[peer] = where
                elif op == "direct-from":
                    pass  # the connection itself says who it is
                continue
            if data == SWITCHED:
                self._switched(process_key(op))
                continue
            out.append(env)
        return out

    def _switched(self, peer: str) -> None:
        conn = self.waiting.pop(peer, None)
        if conn is None:
            self.early.add(peer)
            return
        self.inputs[conn.fd] = conn
        self.poller.add(conn.fd)

    def _forget_input(self, conn: Conn) -> None:
        self.inputs.pop(conn.fd, None)
        self.poller.discard(conn.fd)
        conn.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.refusals.warning("%s cannot accept connections: %s", self.address, exc.strerror or exc)
                return
            if len(self.unknown) >= MAX_UNAUTHENTICATED:
                self.refusals.warning("%s refused a connection: %d have not authenticated yet",
                                      self.address, len(self.unknown))
                sock.close()
                continue
            conn = Conn(sock, self.key, initiator=False, limit=self.limit, tls=self.tls)
            self.unknown[conn.fd] = conn
            self.unknown_due[conn.fd] = time.monotonic() + self.hello_limit
            self.poller.add(conn.fd)

    def _expire_unknown(self) -> None:
        now = time.monotonic()
        for fd, due in list(self.unknown_due.items()):
            if now > due:
                conn = self.unknown.pop(fd, None)
                del self.unknown_due[fd]
                self.poller.discard(fd)
                if conn is not None:
                    self.refusals.warning("%s dropped a connection: no handshake and hello within %g s",
                                          self.address, self.hello_limit)
                    conn.close()

    def _hello_from(self, conn: Conn) -> None:
        try:
            got = conn.read(one=True)
        except framing.FrameError as exc:
            self.refusals.warning("%s dropped a connection: %s", self.address, exc)
            got = []
            conn.eof = True
        if got:
            hello = _parse_hello(got[0])
            self.unknown.pop(conn.fd, None)
            self.unknown_due.pop(conn.fd, None)
            self.poller.discard(conn.fd)
            if hello is None or hello[0] != "peer":
                conn.close()
                return
            conn.peer = hello[2]
            if conn.peer in self.early:
                self.early.discard(conn.peer)
                self.inputs[conn.fd] = conn
                self.poller.add(conn.fd)
            else:
                self.waiting[conn.peer] = conn  # read only after its marker
        elif conn.eof:
            self.unknown.pop(conn.fd, None)
            self.unknown_due.pop(conn.fd, None)
            self.poller.discard(conn.fd)
            conn.close()

    def wake_on(self, fd: int) -> None:
        """End any wait when ``fd`` is readable (it is then among the ready
        waitables); unlike a waitable, it costs nothing while envelopes flow."""
        self.poller.add(fd)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        poller = self.poller
        poller.set_extra(waitables)
        for conn in list(self.inputs.values()):  # what is already buffered comes first
            if conn.buffered:
                buffered = self._take(conn)
                if buffered:
                    return buffered, (poller.wait(0) if waitables else [])
        lfd = self.listener.fileno()
        if self.unknown_due:
            self._expire_unknown()
        deadline = None if timeout is None else time.monotonic() + timeout
        wait = timeout
        while True:
            if self.unknown_due:  # wake up for their deadline, within the caller's
                wait = 0.5 if wait is None else min(wait, 0.5)
            ready = poller.wait(wait)
            if not ready:
                if self.unknown_due:
                    self._expire_unknown()
                if deadline is not None:
                    wait = deadline - time.monotonic()
                    if wait <= 0:
                        return [], []
                else:
                    wait = None
                continue
            envs: list[Any] = []
            others: list[Any] = []
            for fd in ready:
                if fd == lfd:
                    self._accept()
                elif fd in self.unknown:
                    self._hello_from(self.unknown[fd])
                elif fd in self.inputs:
                    if envs and self.one_at_a_time:
                        continue
                    envs.extend(self._take(self.inputs[fd]))
                else:
                    others.append(fd)
            if envs or others or self.admin_lost:
                return envs, others
            if deadline is not None:  # what was ready was no message: one more look, then return
                deadline = time.monotonic()
                wait = 0
            else:
                wait = None

    def backlog(self) -> int:
        link = self.link.backlog() if self.link is not None else 0
        return link + sum(c.backlog() for c in self.out.values())

    def close(self) -> None:
        for conn in self.out.values():
            if not conn.authenticated and self.link is not None:
                conn.wait_authenticated(self.hello_limit)  # its helper thread decides
            conn.flush(10.0)
            conn.close()
        if self.link is not None:
            self.link.close(flush=10.0)
        for conn in (*self.inputs.values(), *self.waiting.values(), *self.unknown.values()):
            conn.close()
        self.listener.close()


class TcpAdminLink:
    """The admin's listener, bound by the creating process so that a held port
    fails there, at once and clearly; inherited by (or sent to) the admin."""

    def __init__(self, sock: socket.socket, me: str, token: str, limit: int, key: bytes,
                 outbound_only: bool = False, tls: TlsFiles | None = None,
                 admin_routing: bool = False) -> None:
        self.sock = sock
        self.admin_routing = admin_routing
        self.me = me
        self.token = token
        self.limit = limit
        self.key = key
        self.tls = tls
        self.outbound_only = outbound_only
        self.local: socket.socket | None = None
        host, port = sock.getsockname()[:2]
        if not host.startswith("127.") and host != "0.0.0.0":  # 0.0.0.0 takes loopback too
            # programs on this host attach with just {"Admin Port": P}: let them find it
            try:
                self.local = listener("127.0.0.1", port)
            except OSError as exc:
                _log.warning("admin on %s:%d cannot also listen on 127.0.0.1:%d (%s); local "
                             "programs must set THESPIAN_BASE_IPADDR=%s to attach", host, port, port,
                             exc.strerror or exc, host)

    def open(self) -> AdminTcpTransport:
        return AdminTcpTransport(self.sock, self.me, self.token, self.limit, self.key,
                                 self.outbound_only, self.local, self.tls, self.admin_routing)

    def release(self) -> None:
        """The creating process lets go of its copy of the listener."""
        self.sock.close()
        if self.local is not None:
            self.local.close()


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

    def admin_link(self) -> TcpAdminLink:
        try:
            sock = listener(self.admin_host, self.admin_port)
        except OSError as exc:
            raise OSError(exc.errno, bind_problem(self.admin_host, self.admin_port, exc)) from None
        token = os.urandom(4).hex()
        return TcpAdminLink(sock, f"T{token}", os.urandom(16).hex(), self.limit, self.key,
                            self.outbound_only, self.tls, self.admin_routing)

    def preflight(self) -> None:
        """Before starting an admin that joins a convention: every leader address
        must resolve, and at least one must be reachable (a refused connect is
        fine: that leader is not up yet and will be retried). Raises
        ConnectionError saying which address failed and what to change."""
        if not self.leaders:
            return
        problems = []
        limit = _probe_limit()
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
                sock = socket.create_connection((self.admin_host, self.admin_port), timeout=2)
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
        conn.put(_hello("client", "", "", self.listen_addr))
        welcome = self._welcome(conn, limit)
        if welcome is None:
            conn.close()
            raise self._not_an_admin(f"no welcome within {limit:g} s")
        prefix, admin_id, pid = welcome
        self.link = conn
        self.inputs[conn.fd] = conn
        self.poller.add(conn.fd)
        self.client_prefix = prefix
        self.address = prefix[:-1]
        self.admin_address = admin_id
        self.admin_pid = pid
        return AttachState.ATTACHED

    def _not_an_admin(self, why: str) -> ConnectionError:
        holder = port_holder(self.admin_port)
        return ConnectionError(f"something listens on {self.admin_host}:{self.admin_port} but it is "
                               f"not an actorcore TCP admin ({why}){': ' + holder if holder else ''}")

    def _welcome(self, conn: Conn, limit: float) -> tuple[str, str, int] | None:
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
                prefix, admin_id, pid = data.decode().split("\n")
                return prefix, admin_id, int(pid)
            if conn.eof:
                return None
        return None
