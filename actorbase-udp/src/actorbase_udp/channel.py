"""The state of one stream pair: what a socket keeps for each remote socket
it talks to (an outgoing stream of numbered datagrams queued until
acknowledged, an incoming stream delivered strictly in sequence, and the
session that seals both).

Plain records; :mod:`.datagrams` and its layers do the work. Knows
datagrams, never actors.
"""
from __future__ import annotations

import random
import time
from collections import deque
from typing import Any

from actorcore.plugin import Handshake

from .wire import Address, Envelope


class Out:
    """One datagram of an outgoing stream."""

    __slots__ = ("seq", "flags", "payload", "env", "due", "tries", "sacked")

    def __init__(self, seq: int, flags: int, payload: bytes, env: Envelope | None) -> None:
        self.seq = seq
        self.flags = flags
        self.payload = payload
        self.env = env  # on the last fragment: what to give back if never delivered
        self.due = 0.0
        self.tries = 0
        self.sacked = False  # the receiver holds it, waiting for an earlier one


class Channel:
    """Both directions of traffic with one remote socket."""

    def __init__(self, where: Address) -> None:
        self.where = where
        self.stream = random.getrandbits(32) or 1
        self.next_seq = 0
        self.unacked: deque[Out] = deque()
        self.unacked_bytes = 0
        self.queued: deque[Out] = deque()
        self.in_stream = 0  # the peer's stream id we read (0: none yet)
        #: a stream we NAKed for not starting at 0 (0: none): never taken up
        #: later, since the sender sends its contents again on a newer one
        self.refused = 0
        self.expected = 0
        self.early: dict[int, tuple[int, bytes]] = {}
        self.partial = bytearray()
        self.discarding = False
        self.ack_owed = False
        self.heard = time.monotonic()
        self.key: str | None = None  # who the peer is, once its hello has been read
        #: (key, sender name) the owner last found to belong together: a
        #: cache, so ``key`` may change without a stale name passing
        self.sender: tuple[str | None, str] = (None, "")
        self.held = 0  # envelopes the owner holds back from this (not yet known) peer
        # the session (None until the handshake completes): MACs per direction
        self.seal: Any = None
        self.open: Any = None
        self.fresh = True  # the first stream of a new session may have any id
        self.hs: Handshake | None = None  # our handshake as initiator, running
        self.hs_hello = b""
        self.hs_due = 0.0  # when to send our handshake message again
        self.hs_tries = 0
        self.hs_deadline = 0.0
        self.challenge = b""  # the answer our hello got; its proof is repeated until
        self.proof = b""  # ... the peer shows it has the session (confirmed)
        self.confirmed = False
        self.peer_proof = b""  # the proof that completed the peer's handshake with us
        self.rekey_next = 0.0
        self.session_at = 0.0

    @property
    def authenticated(self) -> bool:
        return self.seal is not None

    def pending_envelopes(self) -> list[Envelope]:
        """Whole messages not (known to be) delivered: unacknowledged or never sent."""
        return [o.env for o in (*self.unacked, *self.queued) if o.env is not None]

    def busy(self) -> bool:
        return bool(self.unacked or self.queued)


def newer(a: int, b: int) -> bool:
    """Stream id ``a`` comes after ``b`` (serial arithmetic on 32 bits)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000
