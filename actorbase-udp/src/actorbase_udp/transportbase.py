"""What the admin's and the other processes' UDP transports share: one
socket's :class:`~.datagrams.Endpoint`, the check that an envelope comes from
the process its stream belongs to, and the receive loop that also
acknowledges and retransmits. Knows envelopes and addresses, never actors.
"""
from __future__ import annotations

import socket
import time
from collections import deque
from typing import Any, Sequence

from actorcore.plugin import Poller, env_seconds

from .addressing import process_key
from .channel import Channel
from .datagrams import Endpoint
from .wire import Address, Envelope, fmt


def hello_limit() -> float:
    """Seconds a handshake may take, on every socket of a system (and at the
    admin, a new stream's hello): ``ACTORCORE_UDP_HELLO_SECONDS``, 10 by default."""
    return env_seconds("ACTORCORE_UDP_HELLO_SECONDS", 10.0, 0.05)


class UdpTransportBase:
    """What the admin's and the endpoints' transports share: the socket, its
    channels, and a receive loop that also acknowledges and retransmits."""

    def __init__(self, sock: socket.socket, me: str, limit: int, key: bytes,
                 stranger_bytes: int = 64 * 1024) -> None:
        self.ep = Endpoint(sock, key, limit, stranger_bytes, hello_limit())
        self.address = me
        self.limit = limit
        self.poller = Poller()
        self.poller.add(self.ep.fd)
        self.ready: deque[tuple[str | None, Envelope]] = deque()

    @property
    def stats(self) -> dict[str, int]:
        """Counters of what the socket dropped, repeated or gave up on."""
        return dict(self.ep.stats)

    def _deliver(self, chan: Channel, env: Envelope) -> None:
        raise NotImplementedError

    def wake_on(self, fd: int) -> None:
        """End any wait when ``fd`` is readable (it is then among the ready
        waitables); unlike a waitable, it costs nothing while envelopes flow."""
        self.poller.add(fd)

    def _probe(self, where: Address) -> None:
        """Someone asks whether an actorcore UDP socket listens here."""

    def _timers(self, now: float) -> float | None:
        """Housekeeping of the subclass; seconds until it is next due."""
        return None

    def _own(self, chan: Channel, env: Envelope) -> bool:
        """Whether ``env``, come straight from ``chan``'s socket, is from the
        process known to send from there; logged and dropped if not. (The
        name that passed is kept: an actor sends under one name, and this
        runs for every message.)"""
        if process_key(env[1]) == chan.key:
            chan.sender = (chan.key, env[1])
            return True
        self.ep.stats["dropped_sender"] += 1
        self.ep.complain("sender", f"{self.address} dropped a message from {chan.key} "
                         f"({fmt(chan.where)}) that claims to come from {env[1]!r}")
        return False

    def _take_ready(self) -> list[Envelope]:
        ready = self.ready
        out = []
        while ready:
            out.append(ready.popleft()[1])
        return out

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        poller = self.poller
        poller.set_extra(waitables)
        ep = self.ep
        fd = ep.fd
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.ready:
                others = [f for f in poller.wait(0) if f != fd] if waitables else []
                return self._take_ready(), others
            ep.flush_acks()
            now = time.monotonic()
            wait = deadline - now if deadline is not None else None
            for due in (ep.retransmit(now), self._timers(now)):
                if due is not None and (wait is None or due < wait):
                    wait = due
            others = []
            for f in poller.wait(None if wait is None else max(0.0, wait)):
                if f == fd:
                    ep.read(self._deliver, self._probe)
                else:
                    others.append(f)
            if self.ready or others:
                return self._take_ready(), others
            if deadline is not None and time.monotonic() >= deadline:
                return [], []

    def backlog(self) -> int:
        # Asked before every send: with nothing queued behind a full window
        # (the usual case) that is all, without a read that finds nothing.
        if not self.ep.backlog():
            return 0
        # A sender blocked on back-pressure sleeps without calling receive():
        # read acknowledgements here, or the backlog would never shrink.
        self.ep.read(self._deliver, self._probe)
        self.ep.retransmit(time.monotonic())
        return self.ep.backlog()
