"""The side of a process that has one connection, to the admin: an actor
process (here) or the creating process (client.py). Every envelope goes to the
admin, which forwards it: a star, the simplest routing there is.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, Sequence

from actorcore.plugin import Envelope, Poller, Transport

from .conn import Conn


def connect(path: str, name: str, token: str, hold_mine: bool) -> Conn:
    """A proven connection to the admin listening at ``path``: its first frame
    says who we are (``name``) and proves it (``token``). ``hold_mine``: send
    the admin our own end too (see :class:`ActorUnixTransport`)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        conn = Conn(sock)
        conn.hello(f"{name}\n{token}", [sock.fileno()] if hold_mine else [])
    except BaseException:
        sock.close()
        raise
    return conn


class Endpoint:
    """One connection to the admin, and a poll set around it."""

    #: read one envelope per receive, nothing past it (an actor process)
    one_at_a_time = False
    #: a Unix socket's peer is on this host: big buffers may go through /dev/shm
    shared_memory = True

    def __init__(self, me: str, conn: Conn) -> None:
        self.address = me
        self.conn = conn
        self.poller = Poller()
        self.poller.add(conn.fd)

    def send(self, target: Any, envelope: Envelope) -> None:
        self.conn.put(envelope)  # the admin forwards

    def receive(
        self, timeout: float | None, waitables: Sequence[Any] = ()
    ) -> tuple[list[Envelope], list[Any]]:
        self.poller.set_extra(waitables)
        conn = self.conn
        ready = self.poller.wait(timeout)
        others = [fd for fd in ready if fd != conn.fd]
        if len(others) == len(ready):
            return [], others
        envs = conn.read(self.one_at_a_time)
        if conn.eof:  # the admin is gone; the runtime's own checks say so
            self.poller.discard(conn.fd)
        return envs, others

    def wake_on(self, fd: int) -> None:
        """End every later wait when ``fd`` is readable (reported among the
        waitables); unlike a waitable, it costs nothing per wait."""
        self.poller.add(fd)

    def backlog(self) -> int:
        return self.conn.out.backlog()

    def close(self) -> None:
        self.conn.out.flush(10.0)  # what this process said last must reach the admin
        self.conn.close()


@dataclass(frozen=True)
class ActorLink:
    """What a new actor process needs to join: where the admin listens, its
    own address, and the token the admin made for it. Plain values, so the
    admin may hand it to a process forked in advance (``links_are_addresses``)."""

    path: str
    me: str
    token: str

    def open(self) -> Transport:  # what the core's actor process gets (mypy checks it fits)
        return ActorUnixTransport(self.me, connect(self.path, self.me, self.token, hold_mine=True))


class ActorUnixTransport(Endpoint):
    """An actor process's side. It sends the admin its own end of the
    connection with its hello: the admin holds it open, so what this process
    was sent and never read is still there to read after it dies, and goes
    back to its senders as dead letters (``recovers_unread``). For that, it
    reads one envelope at a time and never past it."""

    one_at_a_time = True
