"""The transport protocol: moves envelopes between processes, knows nothing of actors.

An envelope is ``(target, sender, data)``: two address details and the
pickled message. Each process of a multiprocess system owns one transport.
The creating process gets its transport from the ``actorcore_make_transport``
hook; it hands the admin a :class:`Link` at spawn time, and the admin hands
each actor process a :class:`Link` of its own. ``Link.open()`` runs in the
new process and returns that process's transport.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

Envelope = tuple[Any, Any, bytes]


class Link(Protocol):
    """What a parent passes to a new process (picklable, or inherited by fork)."""

    def open(self) -> Transport:
        """Build this process's transport (called in the new process)."""


class Transport(Protocol):
    """What a base's transport offers the runtime."""

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

    # Optional: ``limit``: the largest frame (bytes) this transport carries
    # (its ``Max Message Size``); the runtime returns a bigger message to its
    # sender as PoisonMessage instead of sending it. Absent: no limit.

    # Optional: ``wake_on(fd)``: end every later wait in :meth:`receive` when
    # ``fd`` (a pipe the runtime's signal handlers write to) is readable, and
    # report it among the ready waitables. A transport without it gets ``fd``
    # among the waitables of every call instead.

    def close(self) -> None:
        """Flush what can be flushed and release queues or sockets."""


class AdminTransport(Transport, Protocol):
    """The admin's transport, which also links and routes to actor processes."""

    def child_link(self, child: Any) -> Link:
        """Resources for a new actor process whose details are ``child``."""

    def child_started(self, child: Any) -> None:
        """The child's process exists: drop the admin's copies of the child's ends."""

    def final_from(self, child: Any) -> list[Envelope]:
        """The child's process ended: what it sent that was not yet received."""

    def forget_child(self, child: Any) -> list[Envelope]:
        """The child's process is gone: release its resources and return the
        envelopes that were delivered to it but never read (dead letters)."""

    def routes_to(self, target: Any) -> bool:
        """Whether this admin must forward envelopes for ``target`` itself
        (star transports); direct transports return False."""

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


class PeerTransport(AdminTransport, Protocol):
    """An admin transport that can also reach other systems' admins (conventions).

    Peer events come back from :meth:`receive` in-band, as envelopes whose
    target is ``""`` (no address is empty):

    - ``("", "peer-up", b"<sysid>\\n<listen>\\n<where>")``: a connection to the
      admin ``sysid`` is ready (``where`` is what :meth:`peer_connect` was given,
      empty for a connection the peer opened; ``listen`` is the peer's
      ``host:port``, empty when it is Outbound Only);
    - ``("", "peer-down", b"<sysid>")``: that connection ended;
    - ``("", "peer-failed", b"<where>\\n<reason>")``: a connect attempt failed.

    Envelopes that arrive from a peer admin are returned like any other.
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
