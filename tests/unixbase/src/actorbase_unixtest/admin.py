"""The admin's transport: a listening Unix socket in a private directory, one
connection per process of the system, and the forwarding of a star.

Nothing a connection sends is handed on before its peer has proven that it
belongs to this system:

1. the socket lives in a directory of mode 0700 (``tempfile.mkdtemp``), so
   no other user can reach it (root aside);
2. on accept, the kernel's word on the peer (``SO_PEERCRED``) must name our
   own user, before a byte is read;
3. its first frame, the hello, is ``<name>\\n<token>``: the token is one this
   admin made for that name (or, for the creating process, one that process
   made) and handed over only inside a link (a fork's memory or a spawn's
   pipe; never a file, an argument or the environment), so a process of our
   user that finds the path still cannot pose as a process of this system;
4. after the hello, an envelope whose sender is not its connection's own
   process is dropped.

Refusals are logged at a bounded rate; at most ``MAX_UNPROVEN`` connections
wait for their hello at once. The shared secret (``Convention Secret``) and
the core's handshake are for peers that come over a network; nothing here
crosses one (the kernel vouches for the user, the token for the process), so
this base does not use them and does not declare ``authenticated``.
"""
from __future__ import annotations

import hmac
import logging
import os
import secrets
import shutil
import socket
import struct
from dataclasses import dataclass
from typing import Any, Sequence

from actorcore.plugin import AdminTransport, Envelope, Poller, RateLimitedLog, framing

from .conn import Conn, drain, split
from .endpoint import ActorLink

_log = logging.getLogger("actorcore.unixtest")
MAX_UNPROVEN = 64
_CREDS = struct.Struct("3i")  # struct ucred: pid, uid, gid


def same_user(sock: socket.socket) -> bool:
    """Whether the peer of ``sock`` runs as our user (where the kernel says;
    elsewhere the directory's mode alone keeps other users out)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDS.size)
    return _CREDS.unpack(creds)[1] == os.getuid()


@dataclass(frozen=True)
class AdminLink:
    """What the creating process hands its admin: the listening socket (bound
    there, so connecting never waits for the admin), the admin's address,
    the creating process's token, and that process's own end of its
    connection, which a forked admin inherits and must not keep."""

    listener: socket.socket
    me: str
    client_token: str
    creator_end: socket.socket

    def open(self) -> AdminTransport:  # what the core's admin gets (mypy checks it fits)
        self.creator_end.close()
        return AdminUnixTransport(self.listener, self.me, self.client_token)


class AdminUnixTransport:
    """The admin's side: proves who connects, forwards to whom they name."""

    #: an actor's link is plain values: the admin may fork actor processes in advance
    links_are_addresses = True
    shared_memory = True

    def __init__(self, listener: socket.socket, me: str, client_token: str) -> None:
        self.address = me
        self.client_prefix = me + "+"
        self.listener = listener
        listener.setblocking(False)
        self.path = listener.getsockname()
        self.tokens: dict[str, str] = {self.client_prefix: client_token}  # who may say hello
        self.conns: dict[str, Conn] = {}  # proven connections, by process name
        self.names: dict[int, str] = {}  # their descriptors
        self.unproven: dict[int, Conn] = {}
        self.kept: dict[str, socket.socket] = {}  # an actor's own end, sent with its hello
        self.lost: dict[str, list[Envelope]] = {}  # for a process that can no longer be written to
        self.refusals = RateLimitedLog(_log)
        self.poller = Poller()
        self.poller.add(listener.fileno())
        # actor processes forked from here (and spares) must not hold our sockets:
        # a kept end held elsewhere would outlive its actor
        os.register_at_fork(after_in_child=self._let_go)
        self._admit()  # the creating process connected before we existed

    # -- the AdminTransport contract (actorcore.plugin.AdminTransport) ---------
    def child_link(self, child: Any) -> ActorLink:
        token = secrets.token_hex(16)
        self.tokens[child] = token
        return ActorLink(self.path, child, token)

    def child_started(self, child: Any) -> None:
        pass  # the admin holds nothing of the child's until it connects

    def final_from(self, child: Any) -> list[Envelope]:
        self._admit()  # it may have connected, spoken and died since we last looked
        return self._read(child) if child in self.conns else []

    def forget_child(self, child: Any) -> list[Envelope]:
        self.tokens.pop(child, None)
        kept = self.kept.pop(child, None)
        stream = b""
        if kept is not None:
            stream = drain(kept)  # what it was sent and never read
            kept.close()
        conn = self.conns.pop(child, None)
        if conn is not None:
            self.names.pop(conn.fd, None)
            self.poller.discard(conn.fd)
            stream += conn.unsent()
            conn.close()
        return split(stream) + self.lost.pop(child, [])

    def is_client(self, target: Any) -> bool:
        return isinstance(target, str) and target.startswith(self.client_prefix)

    # -- the Transport contract --------------------------------------------------
    def send(self, target: Any, envelope: Envelope) -> None:
        name = self.client_prefix if self.is_client(target) else target
        conn = self.conns.get(name)
        if conn is None:  # never connected (the runtime sends only to live processes)
            _log.warning("no connection to %s: message from %s dropped", target, envelope[1])
            return
        try:
            conn.put(envelope)
        except OSError:  # its process is gone: forget_child hands this back
            self.lost.setdefault(name, []).append(envelope)

    def receive(
        self, timeout: float | None, waitables: Sequence[Any] = ()
    ) -> tuple[list[Envelope], list[Any]]:
        self.poller.set_extra(waitables)
        envs: list[Envelope] = []
        others = []
        for fd in self.poller.wait(timeout):
            name = self.names.get(fd)
            if name is not None:
                envs += self._read(name)
            elif fd in self.unproven:
                self._prove(self.unproven[fd])
            elif fd == self.listener.fileno():
                self._admit()
            else:
                others.append(fd)
        return envs, others

    def backlog(self) -> int:
        return max((conn.out.backlog() for conn in self.conns.values()), default=0)

    def close(self) -> None:
        client = self.conns.get(self.client_prefix)
        if client is not None:
            client.out.flush(5.0)  # the creating process waits for the last replies
        for conn in (*self.conns.values(), *self.unproven.values()):
            conn.close()
        for sock in self.kept.values():
            sock.close()
        self.listener.close()
        shutil.rmtree(os.path.dirname(self.path), ignore_errors=True)  # the creator removes it too

    # -- proving who connects ----------------------------------------------------
    def _admit(self) -> None:
        """Accept every waiting connection, and read every hello that is here."""
        while True:
            try:
                sock, _ = self.listener.accept()
            except BlockingIOError:
                break
            except OSError as exc:  # out of descriptors: the next wait tries again
                self.refusals.warning("%s cannot accept a connection: %s", self.address, exc)
                break
            if not same_user(sock):
                self.refusals.warning("%s refused a connection from another user", self.address)
                sock.close()
            elif len(self.unproven) >= MAX_UNPROVEN:
                self.refusals.warning("%s refused a connection: %d wait for their hello",
                                      self.address, len(self.unproven))
                sock.close()
            else:
                conn = Conn(sock)
                self.unproven[conn.fd] = conn
                self.poller.add(conn.fd)
        for conn in list(self.unproven.values()):
            self._prove(conn)

    def _prove(self, conn: Conn) -> None:
        try:
            hello = conn.read_hello()
        except framing.FrameError as exc:
            self._refuse(conn, str(exc))
            return
        if hello is None:
            if conn.eof:
                self._refuse(conn, "it closed before its hello")
            return
        name, _, token = hello.partition("\n")
        expected = self.tokens.get(name)
        if expected is None or not hmac.compare_digest(expected, token):
            self._refuse(conn, f"a hello as {name[:80]!r} without its token")
            return
        del self.tokens[name], self.unproven[conn.fd]
        self.conns[name] = conn
        self.names[conn.fd] = name
        if conn.fds:
            self.kept[name] = socket.socket(fileno=conn.fds.pop(0))
        _close_all(conn.fds)

    def _refuse(self, conn: Conn, why: str) -> None:
        self.refusals.warning("%s refused a connection: %s", self.address, why)
        del self.unproven[conn.fd]
        self.poller.discard(conn.fd)
        _close_all(conn.fds)
        conn.close()

    def _read(self, name: str) -> list[Envelope]:
        conn = self.conns[name]
        envs = conn.read()
        if conn.eof:  # all it sent is taken; nothing more will come
            self.poller.discard(conn.fd)
        mine = [env for env in envs if self._sent_by(name, env[1])]
        if len(mine) < len(envs):
            self.refusals.warning("%s dropped %d envelopes from %s that named another sender",
                                  self.address, len(envs) - len(mine), name)
        return mine

    def _sent_by(self, name: str, sender: str) -> bool:
        """Whether ``sender`` is the process ``name`` (the creating process: any
        of its endpoints)."""
        return sender == name or (name == self.client_prefix and sender.startswith(name))

    def _let_go(self) -> None:
        """In a process forked from the admin: close our copies, nothing more
        (the sockets stay open in the admin; no thread of ours runs here)."""
        for sock in (self.listener, *self.kept.values(),
                     *(c.sock for c in (*self.conns.values(), *self.unproven.values()))):
            sock.close()


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
    fds.clear()
