"""What a process of a socket base (UDP, TCP) hands a process it starts, so
that the new one can build its transport there: the admin's socket, bound by
the creating process, and an actor process's way to its admin.

Records (they cross into the new process by fork, by pickling for spawn, or
through a spare's pipe); each names the function of its base that builds the
transport, which pickles by reference. Knows sockets, never actors.
"""
from __future__ import annotations

import socket
from typing import Any, Callable, Generic, TypeVar

import attrs

T = TypeVar("T")


@attrs.frozen
class AdminLink(Generic[T]):
    """The admin's socket, bound by the creating process so that a held port
    fails there, at once and clearly; inherited by (or sent to) the admin,
    which builds its transport with ``make(sock, me, secret, limit)``."""

    make: Callable[[socket.socket, str, str, int], T]
    sock: socket.socket
    me: str  # the admin's address
    secret: str  # what only the admin's own actor processes will know
    limit: int  # the Max Message Size
    #: other sockets the admin gets (inside ``make``), let go of with ``sock``
    held: tuple[socket.socket, ...] = ()

    def open(self) -> T:
        return self.make(self.sock, self.me, self.secret, self.limit)

    def release(self) -> None:
        """The creating process lets go of its copies of the sockets."""
        self.sock.close()
        for sock in self.held:
            sock.close()


@attrs.frozen
class ActorLink(Generic[T]):
    """What an actor process needs to join its system: where its admin
    listens (``host:port``), its own address, the token only the admin's
    processes know, the Max Message Size and the handshake key, and what
    else its base needs (``options``). ``join(link)``, run in the actor
    process, builds its transport and says hello to the admin."""

    join: Callable[[ActorLink[T]], T]
    admin: str
    me: str
    token: str
    limit: int
    key: bytes
    options: Any = None

    def open(self) -> T:
        return self.join(self)
