"""The TCP transport of an actor process or an attached program: its link to
the admin, a listener for direct connections in, and direct connections out.

A process switches to a direct connection after a ``SWITCHED`` marker sent
through the admin, and its peer reads that connection only after the marker,
so order per sender is kept across the switch. Knows connections and
addresses, never actors.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Sequence

from actorcore.plugin import (
    ActorLink,
    HelloRole,
    Outbox,
    Poller,
    RateLimitedLog,
    avoiding,
    framing,
    hello,
    parse_hello,
)

from .addressing import hostport, process_key
from .conn import Conn
from .control import (
    CONTROL,
    SWITCHED,
    Doorway,
    connect_direct,
    hello_limit,
    listener,
    log,
    sent_by,
    unix_listener,
)
from .tls import TlsFiles


def join(link: ActorLink[EndpointTcpTransport]) -> EndpointTcpTransport:
    """An actor process's transport, connected to its admin (``link.options``:
    the TLS files, if any)."""
    host, _ = hostport(link.admin)
    t = EndpointTcpTransport(link.me, host, link.limit, link.key, one_at_a_time=True, tls=link.options)
    t.connect_admin(link.admin, hello(HelloRole.ACTOR, link.token, link.me, t.listen_addr))
    return t


class EndpointTcpTransport(Doorway):
    """An actor's or a client's side: the link to the admin, a listener for
    direct connections in, and direct connections out."""

    #: what reached a socket of a process that closed it unread is lost: an
    #: exiting actor reads on until the admin has seen its exit (ActorManager)
    drain_on_exit = True
    #: on the admin's host (docs/big-messages.md); used only towards this system's processes
    shared_memory = True

    def __init__(self, me: str, host: str, limit: int, key: bytes, one_at_a_time: bool = False,
                 avoid: int = 0, tls: TlsFiles | None = None) -> None:
        self.address = me
        self.limit = limit
        self.key = key
        self.tls = tls
        self.refusals = RateLimitedLog(log)
        self.hello_limit = hello_limit()
        self.one_at_a_time = one_at_a_time
        self.listener = avoiding(lambda: listener(host, 0), avoid)
        self.listen_addr = "%s:%d" % self.listener.getsockname()[:2]
        self.poller = Poller()
        # peers on this host connect to the Unix one instead (control.connect_direct)
        self.unix_listener = unix_listener(self.listen_addr)
        #: fd -> listening socket, as the admin keeps them
        self.listeners = {s.fileno(): s for s in (self.listener, self.unix_listener) if s is not None}
        for fd in self.listeners:
            self.poller.add(fd)
        self.link: Conn | None = None
        self.out: dict[str, Conn] = {}
        self._backlogged: set[Outbox] = set()  # the outboxes of ``out`` with frames waiting
        self.opening: dict[str, str] = {}
        self.unknown: dict[int, Conn] = {}  # accepted, hello not read yet
        self.hello_due: dict[int, float] = {}
        self.refused = 0
        self.waiting: dict[str, Conn] = {}  # hello read, marker not yet seen
        self.early: set[str] = set()  # marker seen before the hello
        self.inputs: dict[int, Conn] = {}
        # inputs that may hold a whole frame already read (one at a time):
        # served before the next poll, without a look at every input
        self._buffered: set[Conn] = set()

    # -- set-up --------------------------------------------------------------
    def connect_admin(self, admin: str, hello: tuple[str, str, bytes]) -> None:
        sock = connect_direct(admin, timeout=10)
        self.link = Conn(sock, self.key, initiator=True, peer="admin", limit=self.limit, tls=self.tls)
        self.link.authenticate(10.0)
        self.link.put(hello)
        self._add_input(self.link)

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
            sock = connect_direct(where, timeout=2)
        except OSError:
            return None  # keep going through the admin
        try:
            conn = Conn(sock, self.key, initiator=True, peer=key, limit=self.limit, tls=self.tls)
            conn.put(hello(HelloRole.PEER, key=process_key(self.address)))
        except OSError:
            sock.close()
            return None
        assert self.link is not None
        self.link.put((target, self.address, SWITCHED))  # what went via the admin comes first
        conn.join_backlog(self._backlogged)
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
        elif conn.buffered:
            self._buffered.add(conn)
        else:
            self._buffered.discard(conn)
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
            if direct and (conn.peer, op) != conn.sender and not sent_by(conn, op):
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
        self._add_input(conn)

    def _add_input(self, conn: Conn) -> None:
        self.inputs[conn.fd] = conn
        self.poller.add(conn.fd)
        if conn.buffered:  # its hello came with more behind it
            self._buffered.add(conn)

    def _forget_input(self, conn: Conn) -> None:
        self.inputs.pop(conn.fd, None)
        self._buffered.discard(conn)
        self.poller.discard(conn.fd)
        conn.close()

    def _name(self) -> str:
        return self.address

    def _admit(self, conn: Conn) -> None:
        self.unknown[conn.fd] = conn

    def _expire(self, fd: int) -> None:
        conn = self.unknown.pop(fd, None)
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
            said = parse_hello(got[0])
            self.unknown.pop(conn.fd, None)
            self.hello_due.pop(conn.fd, None)
            self.poller.discard(conn.fd)
            if said is None or said.role != HelloRole.PEER:
                conn.close()
                return
            conn.peer = said.key
            if conn.peer in self.early:
                self.early.discard(conn.peer)
                self._add_input(conn)
            else:
                self.waiting[conn.peer] = conn  # read only after its marker
        elif conn.eof:
            self.unknown.pop(conn.fd, None)
            self.hello_due.pop(conn.fd, None)
            self.poller.discard(conn.fd)
            conn.close()

    def wake_on(self, fd: int) -> None:
        """End any wait when ``fd`` is readable (it is then among the ready
        waitables); unlike a waitable, it costs nothing while envelopes flow."""
        self.poller.add(fd)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        poller = self.poller
        poller.set_extra(waitables)
        for conn in tuple(self._buffered):  # what is already buffered comes first
            buffered = self._take(conn)
            if buffered:
                return buffered, (poller.wait(0) if waitables else [])
        listeners = self.listeners
        if self.hello_due:
            self._expire_hellos()
        deadline = None if timeout is None else time.monotonic() + timeout
        wait = timeout
        while True:
            if self.hello_due:  # wake up for their deadline, within the caller's
                wait = 0.5 if wait is None else min(wait, 0.5)
            ready = poller.wait(wait)
            if not ready:
                if self.hello_due:
                    self._expire_hellos()
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
                if fd in listeners:
                    self._accept(listeners[fd])
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
        return link + Outbox.waiting_in(self._backlogged)  # per send: not a sum over every peer

    def close(self) -> None:
        for conn in self.out.values():
            # even once authenticated: its helper thread may still be moving
            # what was held during the handshake into the outbox
            if self.link is not None:
                conn.wait_authenticated(self.hello_limit)  # its helper thread decides
            conn.flush(10.0)
            conn.close()
        if self.link is not None:
            self.link.close(flush=10.0)
        for conn in (*self.inputs.values(), *self.waiting.values(), *self.unknown.values()):
            conn.close()
        for sock in self.listeners.values():
            sock.close()
