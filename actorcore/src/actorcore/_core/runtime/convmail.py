"""Envelopes from one admin to other systems: sent on the peer connection,
held while one is being made, or handed to the leader to pass on.

Apart from :mod:`.conventions` (which decides who is a peer and where it
listens) because every envelope for an actor on another system comes this
way; knows the peer transport and addresses, never registrations.
"""
from __future__ import annotations

from typing import Any, Callable

from ..transport import PeerTransport, system_of
from .convhost import ConventionHost

_OUTQ_MAX = 10000  # envelopes held for one peer while it is being connected


class PeerMail:
    """What this admin sends to other systems, and what waits for a connection."""

    def __init__(self, me: str, transport: PeerTransport, host: ConventionHost,
                 where_is: Callable[[str], str], leader: Callable[[], str | None]) -> None:
        self.me = me
        self.t = transport
        self.host = host  # its dead letters take what cannot go
        self.where_is = where_is  # a system's listen address, "" when unknown
        self.leader = leader  # the first live leader's system id
        self.outq: dict[str, list[Any]] = {}

    def send(self, sysid: str, env: Any) -> bool:
        """Send an envelope to a system; False when no way there is known."""
        if self.t.peer_send(sysid, env):
            return True
        listen = self.where_is(sysid)
        if listen:
            queue = self.outq.setdefault(sysid, [])
            if len(queue) < _OUTQ_MAX:
                queue.append(env)
                self.t.peer_connect(listen)
                return True
            return False
        return self._via_leader(sysid, env)

    def _via_leader(self, sysid: str, env: Any) -> bool:
        """Members that cannot reach a system ask the leader to pass it on; only for
        envelopes from this system, so nothing bounces between systems."""
        leader = self.leader()
        if leader is None or leader == sysid or system_of(str(env[1])) != self.me:
            return False
        return self.t.peer_send(leader, env)

    def connected(self, sysid: str) -> None:
        """The connection to ``sysid`` is up: what waited for it goes now."""
        for env in self.outq.pop(sysid, []):
            if not self.t.peer_send(sysid, env):
                self.host.dead_letter(env)

    def reroute(self, sysid: str) -> None:
        """``sysid`` cannot be reached directly: what waited goes via the leader."""
        for env in self.outq.pop(sysid, []):
            if not self._via_leader(sysid, env):
                self.host.dead_letter(env)

    def drop(self, sysid: str) -> None:
        """``sysid`` is gone: what never went becomes dead letters."""
        for env in self.outq.pop(sysid, []):
            self.host.dead_letter(env)
