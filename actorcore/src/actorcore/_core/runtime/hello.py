"""The hello every stream or connection to a process of a socket base (UDP,
TCP) opens with: who opens it, with what proof, and where it listens; and
the welcome an admin answers a program's hello with.

Sent as an envelope to :data:`CONTROL` once the handshake has run; what
follows on a stream whose hello is missing or wrong is dropped. Knows text,
never sockets or actors.
"""
from __future__ import annotations

import enum
from typing import Any, NamedTuple

#: The target of what processes say to each other's transports: no address is empty.
CONTROL = ""


class HelloRole(str, enum.Enum):
    """Who opens a stream or connection, as its hello says. A ``str``, so that
    it compares equal to the text on the wire."""

    ACTOR = "actor"  # an actor process of this system (the hello carries the token)
    CLIENT = "client"  # a program attaching to the admin
    ADMIN = "admin"  # another system's admin (conventions)
    PEER = "peer"  # another process of this system, on a direct connection


class Hello(NamedTuple):
    """A hello as read: ``role`` is the text sent (a :class:`HelloRole` unless a
    stranger sent it), ``key`` who the sender is, ``listen`` where it listens."""

    role: str
    token: str
    key: str
    listen: str


def hello(role: HelloRole, token: str = "", key: str = "", listen: str = "") -> tuple[str, str, bytes]:
    """The first envelope on a stream or connection, saying who opens it."""
    return (CONTROL, "hello", f"{role.value}\n{token}\n{key}\n{listen}".encode())


def parse_hello(env: tuple[Any, Any, bytes]) -> Hello | None:
    """``env`` read as a hello, or None when it is not one."""
    target, op, data = env
    if target != CONTROL or op != "hello":
        return None
    parts = data.decode("utf-8", "replace").split("\n")
    if len(parts) != 4:
        return None
    return Hello(*parts)


class Welcome(NamedTuple):
    """The admin's answer to the hello of a program attaching to it: the
    program's address prefix (its endpoints are the prefix and a number),
    the admin's address and its pid."""

    prefix: str
    admin: str
    pid: int

    @property
    def address(self) -> str:
        """The program's own address (the prefix without its ``:``)."""
        return self.prefix[:-1]

    def envelope(self) -> tuple[str, str, bytes]:
        return (CONTROL, "welcome", f"{self.prefix}\n{self.admin}\n{self.pid}".encode())


def read_welcome(text: str) -> Welcome | None:
    """The text of a welcome envelope read, or None when it is not one."""
    parts = text.split("\n")
    if len(parts) != 3 or not parts[0].endswith(":"):
        return None
    try:
        return Welcome(parts[0], parts[1], int(parts[2]))
    except ValueError:
        return None
