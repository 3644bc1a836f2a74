"""The transport protocol: moves envelopes between processes, knows nothing of actors.

An envelope is ``(target, sender, data)``: two address details and the
pickled message. Each process of a multiprocess system owns one transport.
The creating process gets its transport from the ``actorcore_make_transport``
hook; it hands the admin a :class:`Link` at spawn time, and the admin hands
each actor process a :class:`Link` of its own. ``Link.open()`` runs in the
new process and returns that process's transport.

The creating process's own transport is a :class:`ClientTransport`; a base
whose admin outlives its creator (UDP, TCP) offers a
:class:`SharedClientTransport`, which attaches to an admin already running.
"""
from __future__ import annotations

import enum
import socket
from types import MappingProxyType
from typing import (
    Any,
    Callable,
    Iterable,
    Literal,
    Mapping,
    Protocol,
    Sequence,
    overload,
    runtime_checkable,
)

#: One message on its way: ``(target, sender, data)`` — the address details of
#: the receiver (actor, admin or client), those of the sender, and the message
#: pickled (a transport never unpickles it). A plain tuple on purpose, not a
#: NamedTuple: one is built at each end of every message, at some forty places
#: across the transports, and a NamedTuple costs 161 ns to build against 35 ns
#: for a tuple (measured, CPython 3.11); every user unpacks it anyway.
Envelope = tuple[Any, Any, bytes]


class AttachState(enum.Enum):
    """What :meth:`SharedClientTransport.try_attach` found on the Admin Port."""

    #: nothing listens there: the caller may start an admin on it
    ABSENT = "absent"
    #: an admin of this base answered and took us in as a client
    ATTACHED = "attached"


class PeerEvent(str, enum.Enum):
    """The kinds of in-band peer events (:class:`PeerTransport`). A ``str``
    so that the op of an event envelope compares equal to its text."""

    UP = "peer-up"
    DOWN = "peer-down"
    FAILED = "peer-failed"


class PeerFailure(str, enum.Enum):
    """The word a ``peer-failed`` reason starts with, which the convention
    code acts on: ``refused`` (the host answered, nothing listens: that admin
    is gone) or ``unreachable`` (no verdict on the admin)."""

    REFUSED = "refused"
    UNREACHABLE = "unreachable"


class Link(Protocol):
    """What a parent passes to a new process (picklable, or inherited by fork)."""

    def open(self) -> Transport:
        """Build this process's transport (called in the new process)."""


class BoundLink(Link, Protocol):
    """A link to a shared admin, holding the Admin Port the creating process
    bound (so that a port in use fails there, at once and clearly)."""

    def release(self) -> None:
        """The creating process lets go of its copy of what the admin inherited."""


class Transport(Protocol):
    """What a base's transport offers the runtime.

    Optional members, which a transport may leave out (the runtime takes the
    default named here, through :func:`optional`):

    - ``limit`` (default None: no limit): the largest frame, in bytes, this
      transport carries (its ``Max Message Size``); the runtime returns a
      bigger message to its sender as PoisonMessage instead of sending it.
    - ``wake_on(fd)`` (default None): end every later wait in :meth:`receive`
      when ``fd`` (a pipe the runtime's signal handlers write to) is readable,
      and report it among the ready waitables. A transport without it gets
      ``fd`` among the waitables of every call instead.
    - ``drain_on_exit`` (an actor's transport; default False): what was sent
      to a process is lost once it closes, so an exiting actor reads on until
      its admin's ``ExitNoted`` and hands back what came as dead letters.
      Without it the admin gets what was never read from
      :meth:`AdminTransport.forget_child`.
    - ``shared_memory`` (default False): the processes this transport links
      are all on one host and may pass big message buffers through files in
      ``/dev/shm`` (docs/big-messages.md); the envelopes stay as they are, a
      kind-3 ``data`` names the files. Declare it on every transport of the
      base (admin, actors, clients), with the base's ``shared_memory`` feature.
    - ``own_sockets`` (an admin's transport; default None): a method
      returning the sockets it holds now (its listeners, its connections).
      Actor processes are forked from the admin, and each closes these
      first thing (runtime/forkclose.py): a copy would keep a socket open
      after the admin closes it, and the Admin Port bound while any actor
      lives. Called in the forked child, where no other thread runs: it
      must take no lock.
    - ``admin_lost`` (an actor's transport; default False): the link to the
      admin is known to be gone (an exiting actor then stops draining). It
      changes, so it is read where it is needed; the others are read once,
      when the runtime takes the transport on.
    """

    #: This process's own address details.
    address: Any

    def send(self, target: Any, envelope: Envelope) -> None:
        """Queue ``envelope`` for the process at ``target``; never blocks on a
        slow receiver (back-pressure is applied by :meth:`backlog`). The
        runtime calls it from one thread at a time, though possibly while
        another thread is inside :meth:`receive`."""

    def receive(
        self, timeout: float | None, waitables: Sequence[Any] = ()
    ) -> tuple[list[Envelope], list[Any]]:
        """Wait up to ``timeout`` for envelopes or for any of ``waitables``
        (process sentinels) to become ready; returns both lists."""

    def backlog(self) -> int:
        """Envelopes handed to :meth:`send` that are not yet on the wire."""

    def close(self) -> None:
        """Flush what can be flushed and release queues or sockets."""


class AdminTransport(Transport, Protocol):
    """The admin's transport, which also links and routes to actor processes.

    Optional, besides those of :class:`Transport`: ``links_are_addresses``
    (default False): what :meth:`child_link` returns is plain values, no
    resource made for the child, so the admin may hand it to a process forked
    in advance (a spare; fork start method only).
    """

    def child_link(self, child: Any) -> Link:
        """Resources for a new actor process whose details are ``child``."""

    def child_started(self, child: Any) -> None:
        """The child's process exists: drop the admin's copies of the child's ends."""

    def final_from(self, child: Any) -> list[Envelope]:
        """The child's process ended: what it sent that was not yet received."""

    def forget_child(self, child: Any) -> list[Envelope]:
        """The child's process is gone: release its resources and return the
        envelopes that were delivered to it but never read (dead letters)."""

    def is_client(self, target: Any) -> bool:
        """Whether ``target`` is an external endpoint of the creating process."""


def system_of(addr: str) -> str:
    """The system (admin id) an address of a UDP/TCP system belongs to.

    Address details of conventions-capable bases are strings: the admin is
    ``<sysid>``, its actors ``<sysid>/<n>[.<m>...]``, clients of it
    ``<sysid>+<k>[:<n>]``; ``sysid`` never holds ``/``, ``+`` or ``:``.
    """
    for i, ch in enumerate(addr):
        if ch in "/+:":
            return addr[:i]
    return addr


class ClientTransport(Transport, Protocol):
    """The transport of the process that creates a system (or attaches to one)."""

    #: The admin's address details (for a shared admin: known once attached).
    admin_address: Any
    #: Every endpoint of this process is ``client_prefix`` and a number; the
    #: admin's answers to this process come to ``client_prefix + "0"``.
    client_prefix: str

    def admin_link(self) -> Link:
        """Resources for the admin process this one is about to start."""


@runtime_checkable
class SharedClientTransport(ClientTransport, Protocol):
    """A client of a shared admin (UDP, TCP): one that outlives its creator,
    found on the Admin Port, which other programs attach to as well."""

    admin_host: str
    admin_port: int
    #: The admin's pid once attached (0 before); closing waits for no
    #: acknowledgement from an admin whose pid is gone.
    admin_pid: int

    @property
    def admin_lost(self) -> bool:
        """Whether the link to the admin is known to be gone (EOF, or given up on)."""

    def try_attach(self, wait: float = 0.0) -> AttachState:
        """Attach to the admin on the Admin Port, trying for up to ``wait``
        seconds while nothing listens there. Raises ConnectionError when
        something else answers there, PermissionError when an admin answers
        that does not share our secret."""

    def preflight(self) -> None:
        """Checks before this process starts an admin on the Admin Port (a
        transport with none does nothing); ConnectionError saying what to change."""

    def admin_link(self) -> BoundLink:
        """The Admin Port, bound here, for the admin this process starts."""


@runtime_checkable
class PeerTransport(AdminTransport, Protocol):
    """An admin transport that can also reach other systems' admins (conventions).

    Peer events come back from :meth:`receive` in-band, as envelopes whose
    target is ``""`` (no address is empty):

    - ``("", PeerEvent.UP, b"<sysid>\\n<listen>\\n<where>")``: a connection to the
      admin ``sysid`` is ready (``where`` is what :meth:`peer_connect` was given,
      empty for a connection the peer opened; ``listen`` is the peer's
      ``host:port``, empty when it is Outbound Only);
    - ``("", PeerEvent.DOWN, b"<sysid>")``: that connection ended;
    - ``("", PeerEvent.FAILED, b"<where>\\n<reason>")``: a connect attempt
      failed; ``reason`` may start with a :class:`PeerFailure` word.

    Envelopes that arrive from a peer admin are returned like any other.
    ``isinstance(transport, PeerTransport)`` tells whether an admin can join
    a convention.
    """

    #: ``host:port`` other admins reach this one at; ``""`` when Outbound Only.
    listen_address: str

    def peer_connect(self, where: str) -> None:
        """Start connecting to the admin at ``host:port``; never blocks.
        Already connected (or connecting) to ``where``: nothing happens."""

    def peer_send(self, sysid: str, envelope: Envelope) -> bool:
        """Queue ``envelope`` on the connection to admin ``sysid``; False when
        there is none (the caller holds or dead-letters)."""

    def peer_close(self, sysid: str) -> None:
        """Drop the connection to ``sysid`` (no event follows)."""


#: The optional members of the Protocols here, and what the runtime takes
#: for a transport that leaves one out.
OPTIONAL: Mapping[str, Any] = MappingProxyType({
    "limit": None,
    "wake_on": None,
    "drain_on_exit": False,
    "admin_lost": False,
    "links_are_addresses": False,
    "shared_memory": False,
    "own_sockets": None,
})


@overload
def optional(transport: object, name: Literal["limit"]) -> int | None: ...
@overload
def optional(transport: object, name: Literal["wake_on"]) -> Callable[[int], None] | None: ...
@overload
def optional(
    transport: object, name: Literal["own_sockets"]
) -> Callable[[], Iterable[socket.socket]] | None: ...
@overload
def optional(
    transport: object,
    name: Literal["drain_on_exit", "admin_lost", "links_are_addresses", "shared_memory"],
) -> bool: ...
def optional(transport: object, name: str) -> Any:
    """``transport``'s optional member ``name`` (one of :data:`OPTIONAL`), or
    its default. The one place the runtime probes for them: once, when it
    takes a transport on (``admin_lost``, which changes, when it is needed),
    never per message."""
    return getattr(transport, name, OPTIONAL[name])
