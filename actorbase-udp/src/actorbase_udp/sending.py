"""The middle layer of a UDP socket's :class:`~.datagrams.Endpoint`: its
outgoing streams. Each message is cut into numbered datagrams (fragments of
a larger one travel as consecutive sequence numbers) that stay queued, within
a window, until the peer acknowledges them, and are retransmitted with
back-off (at once for a gap a selective ack shows); a stream the peer does
not know is restarted from 0, and one whose peer stays silent is given up on.
Knows datagrams and envelopes, never actors.
"""
from __future__ import annotations

import socket
import time
from typing import Callable

from actorcore.plugin import env_seconds, framing

from .channel import Channel, Out, newer
from .sessions import SessionSocket
from .wire import (
    ACK,
    DATA,
    LAST,
    MAGIC,
    RTO_FIRST,
    RTO_MAX,
    SACK_BITS,
    WINDOW,
    WINDOW_BYTES,
    Address,
    Envelope,
    pack_header,
    payload_size,
)


class StreamSender(SessionSocket):
    """A socket's outgoing streams, one per remote socket; thread-safe for ``send``."""

    def __init__(self, sock: socket.socket, key: bytes, limit: int, hs_limit: float) -> None:
        super().__init__(sock, key, hs_limit)
        self.limit = limit
        #: given (where, envelopes) a channel gave up on; True if it sent them elsewhere
        self.rescue: Callable[[Address, list[Envelope]], bool] | None = None
        self.give_up = env_seconds("ACTORCORE_UDP_GIVEUP_SECONDS", 300.0, 0.01)
        # Only the channels that owe an ack, or wait for one, are visited on
        # every wake-up: an admin may hold hundreds of quiet ones.
        self.owed: set[Channel] = set()
        self.sending: set[Channel] = set()
        # channels that may hold datagrams waiting for the window: backlog()
        # is asked on every send, and must not walk every peer's channel
        self.queueing: set[Channel] = set()

    # -- sending -------------------------------------------------------------
    def channel(self, where: Address) -> Channel:
        chan = self.channels.get(where)
        if chan is None:
            chan = self.channels[where] = Channel(where)
        return chan

    def send(self, where: Address, env: Envelope) -> None:
        """Queue ``env`` for the socket at ``where``; never blocks."""
        frame = framing.encode(*env)
        if len(frame) > self.limit:
            self.stats["dropped_oversize"] += 1
            self.complain("oversize-out", f"a message of {len(frame)} bytes to {env[0]} is over "
                          f"the Max Message Size ({self.limit}) and was not sent")
            return
        size = payload_size(where)
        with self.lock:
            chan = self.channel(where)
            count = max(1, -(-len(frame) // size))
            for i in range(count):
                last = i == count - 1
                out = Out(chan.next_seq, LAST if last else 0,
                           frame[i * size:(i + 1) * size], env if last else None)
                chan.next_seq = (chan.next_seq + 1) & 0xFFFFFFFF
                chan.queued.append(out)
            self._pump(chan)
            if chan.queued:
                self.queueing.add(chan)

    def _pump(self, chan: Channel) -> None:
        """Move queued datagrams onto the wire while the window allows (and
        once the channel is authenticated: until then they wait in order)."""
        if chan.seal is None:
            if chan.queued and chan.hs is None:
                self._initiate(chan)
            return
        now = time.monotonic()
        while chan.queued and len(chan.unacked) < WINDOW and chan.unacked_bytes < WINDOW_BYTES:
            out = chan.queued.popleft()
            chan.unacked.append(out)
            chan.unacked_bytes += len(out.payload)
            self.sending.add(chan)
            self._transmit(chan, out, now)

    def _transmit(self, chan: Channel, out: Out, now: float) -> None:
        head = pack_header(MAGIC, DATA, out.flags, chan.stream, out.seq, chan.expected, chan.in_stream)
        if not chan.early:  # with a gap open, the standalone ack (and its map) still goes
            chan.ack_owed = False
        out.tries += 1
        out.due = now + min(RTO_MAX, RTO_FIRST * (1 << min(out.tries - 1, 5)))
        # sealed here rather than by a helper: this runs once per datagram
        body = head + out.payload
        mac = chan.seal.copy()
        mac.update(body)
        self._sendto(body + mac.digest(), chan.where)

    # -- acknowledgements -------------------------------------------------------
    def flush_acks(self) -> None:
        """Acknowledge what arrived where no reply carried the ack already."""
        with self.lock:
            owed, self.owed = self.owed, set()
            for chan in owed:
                if chan.ack_owed:
                    chan.ack_owed = False
                    self._ack(chan)

    def _ack(self, chan: Channel) -> None:
        if chan.seal is not None:
            self._sendto(self._sealed(chan, pack_header(MAGIC, ACK, 0, 0, 0, chan.expected, chan.in_stream)
                                      + self._sack(chan)), chan.where)

    @staticmethod
    def _sack(chan: Channel) -> bytes:
        """Which datagrams after the first missing one have arrived: bit i of
        the map is ``expected + 1 + i``, so the sender repeats only the gaps."""
        if not chan.early:
            return b""
        bits = 0
        for seq in chan.early:
            off = ((seq - chan.expected) & 0xFFFFFFFF) - 1
            if 0 <= off < SACK_BITS:
                bits |= 1 << off
        return bits.to_bytes(SACK_BITS // 8, "big")

    def _acked(self, chan: Channel, ack: int) -> None:
        popped = False
        while chan.unacked:
            first = chan.unacked[0]
            diff = (ack - first.seq) & 0xFFFFFFFF
            if diff == 0 or diff >= 0x80000000:
                break  # first.seq >= ack: not yet acknowledged
            chan.unacked.popleft()
            chan.unacked_bytes -= len(first.payload)
            popped = True
        if popped and chan.queued:
            self._pump(chan)

    def _selective(self, chan: Channel, ack: int, bits: int) -> None:
        """The receiver holds the datagrams marked in ``bits``: stop repeating
        them, and repeat at once (once) each gap before the last one it holds."""
        if not bits or not chan.unacked or newer(chan.unacked[0].seq, ack):
            return  # an old ack (delayed or played back) says nothing about what is in flight now
        top = bits.bit_length()  # offsets 1..top (relative to ack) are covered by the map
        now = time.monotonic()
        for out in chan.unacked:
            off = (out.seq - ack) & 0xFFFFFFFF
            if off > top:
                break
            if off and bits >> (off - 1) & 1:
                out.sacked = True
            elif not out.sacked and out.tries == 1:
                self.stats["retransmitted"] += 1
                self._transmit(chan, out, now)

    def _restart(self, chan: Channel) -> None:
        """The peer does not know our stream (it restarted): renumber what is
        still undelivered from 0 on a new stream."""
        pending = [*chan.unacked, *chan.queued]
        chan.unacked.clear()
        chan.queued.clear()
        chan.unacked_bytes = 0
        chan.stream = (chan.stream + 1) & 0xFFFFFFFF or 1  # newer: the receiver takes no older one
        chan.next_seq = 0
        for out in pending:
            out.seq = chan.next_seq
            out.tries = 0
            out.sacked = False
            chan.next_seq += 1
            chan.queued.append(out)
        self._pump(chan)
        if chan.queued:
            self.queueing.add(chan)

    # -- repeating, and giving up ------------------------------------------------
    def retransmit(self, now: float) -> float | None:
        """Resend what is overdue; the time until the next is due (None: nothing waits)."""
        soonest: float | None = None
        gone: list[Channel] = []
        with self.lock:
            for chan in list(self.sending):
                if not chan.unacked:
                    self.sending.discard(chan)
                    continue
                if now - chan.heard > self.give_up:
                    gone.append(chan)
                    continue
                for out in chan.unacked:
                    if out.sacked:
                        continue
                    if out.due <= now:
                        self.stats["retransmitted"] += 1
                        self._transmit(chan, out, now)
                    if soonest is None or out.due < soonest:
                        soonest = out.due
            for chan in gone:
                self.abandon(chan, f"nothing heard for {self.give_up:.0f} s")
            if self.handshaking or self.pending:
                due = self._handshake_timers(now)
                if due is not None and (soonest is None or due < soonest):
                    soonest = due
        return None if soonest is None else max(0.0, soonest - now)

    def abandon(self, chan: Channel, why: str) -> list[Envelope]:
        """Stop sending to ``chan`` (its peer is gone); returns what it never
        delivered, after offering it to ``rescue`` (which may send it another
        way: an endpoint sends what a direct peer never took through its admin)."""
        lost = chan.pending_envelopes()
        if lost and self.rescue is not None and self.rescue(chan.where, lost):
            chan.unacked.clear()
            chan.queued.clear()
            chan.unacked_bytes = 0
            return lost
        if lost:
            self.stats["lost_messages"] += len(lost)
            self.complain("lost", f"gave up on {len(lost)} message(s) to "
                          f"{chan.where[0]}:{chan.where[1]}: {why}")
        chan.unacked.clear()
        chan.queued.clear()
        chan.unacked_bytes = 0
        return lost

    def forget(self, where: Address) -> list[Envelope]:
        """Drop all state for ``where``; what was never delivered comes back.
        What arrived from it is acknowledged first (its last message is often
        a bye, and it should not wait for the ack of that until it gives up)."""
        with self.lock:
            chan = self.channels.pop(where, None)
            if chan is None:
                return []
            if chan.ack_owed:
                chan.ack_owed = False
                self._ack(chan)
            self.sending.discard(chan)
            self.owed.discard(chan)
            self.handshaking.discard(chan)
            return chan.pending_envelopes()

    def expire_strangers(self, now: float, limit: float) -> None:
        """Streams that said no hello within ``limit`` seconds: incomplete sets
        of fragments, or somebody probing. Their state goes."""
        with self.lock:
            for where, chan in list(self.channels.items()):
                if chan.key is None and now - chan.heard > limit and not chan.busy():
                    del self.channels[where]
                    self.handshaking.discard(chan)
                    self.owed.discard(chan)
                    held = len(chan.partial) + sum(len(p) for _, p in chan.early.values())
                    self.complain("stranger", f"dropped the stream from {where[0]}:{where[1]}: "
                                  f"no hello within {limit:g} s ({held} bytes of an "
                                  "incomplete message discarded)")

    def backlog(self) -> int:
        with self.lock:
            total = 0
            channels = self.channels
            for chan in tuple(self.queueing):
                if chan.queued and channels.get(chan.where) is chan:
                    total += len(chan.queued)
                else:
                    self.queueing.discard(chan)  # drained, or forgotten
            return total

    def busy(self) -> bool:
        with self.lock:
            return any(c.busy() for c in self.channels.values())
