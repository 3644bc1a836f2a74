"""Reliable, ordered envelope streams over one UDP socket.

Every process owns one :class:`Endpoint` (one socket). For each remote socket
it talks to it keeps a :class:`Channel`: an outgoing stream of numbered
datagrams that stay queued until the peer acknowledges them (retransmitted
with back-off), and an incoming stream delivered strictly in sequence, with
duplicates dropped. A message larger than one datagram is cut into fragments
that travel as consecutive sequence numbers and are joined on arrival, so
reassembly needs no state beyond the in-order stream itself.

Three layers, each a class on the one below: :mod:`.sessions` (the socket,
and the handshake and MACs without which nothing moves on a stream; see
there), :mod:`.sending` (the streams out) and this module (the streams in:
in order, duplicates dropped, fragments joined, a stream only ever replaced
by a newer one, so a recorded datagram played back is a duplicate). The
header is in :mod:`.wire`.

This module knows datagrams and envelopes, never actors or admins.
"""
from __future__ import annotations

import hmac
import select
import socket
import time
from typing import Callable

from actorcore.plugin import MAC_BYTES, framing

from .channel import Channel, newer
from .sending import StreamSender
from .wire import (
    ACK,
    DATA,
    HDR,
    LAST,
    MAGIC,
    NAK,
    RCV_WINDOW,
    READ_BATCH,
    SACK_BITS,
    SEALED,
    STRANGER_BYTES,
    STRANGER_HELD,
    STRANGER_WINDOW,
    Address,
    Envelope,
    pack_header,
    unpack_header,
)


class Endpoint(StreamSender):
    """One UDP socket and its channels (:mod:`.sessions` below, :mod:`.sending`
    for the streams out, the streams in here); thread-safe for ``send``."""

    def __init__(self, sock: socket.socket, key: bytes, limit: int = framing.DEFAULT_MAX,
                 stranger_bytes: int = STRANGER_BYTES, hs_limit: float = 10.0) -> None:
        super().__init__(sock, key, limit, hs_limit)
        self.stranger_bytes = stranger_bytes
        # one buffer for every datagram read: recvfrom(65536) allocates 64 KiB
        # for each, however small the datagram
        self._rx_view = memoryview(bytearray(65536))
        self._nak_next: dict[Address, float] = {}
        more = select.poll()
        more.register(self.fd, select.POLLIN)
        self._more = more.poll

    # -- receiving -----------------------------------------------------------
    def read(self, deliver: Callable[[Channel, Envelope], None],
             probe: Callable[[Address], None] | None = None) -> int:
        """Read what the socket holds (bounded batch); complete envelopes go to
        ``deliver`` in order. Returns the number of datagrams read."""
        recv = self.sock.recvfrom_into
        view = self._rx_view
        count = 0
        with self.lock:
            while count < READ_BATCH:
                try:
                    size, where = recv(view)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break  # e.g. a stale ICMP error on the socket: nothing to read
                count += 1
                self._datagram(view[:size].tobytes(), where[:2], deliver, probe)
                if count == 1 and not self._more(0):
                    # One datagram at a time is the usual case (an ask, a
                    # pingpong): a poll says there is no other for a third
                    # of what the failing read would cost (its exception).
                    break
        return count

    def _datagram(self, data: bytes, where: Address,
                  deliver: Callable[[Channel, Envelope], None],
                  probe: Callable[[Address], None] | None) -> None:
        chan = self.channels.get(where)
        # The common case first, in as few steps as may be: a sealed datagram
        # on a channel with a session. Everything else goes to _unsealed.
        if (chan is None or chan.open is None or len(data) < SEALED
                or not DATA <= data[4] <= NAK or data[:4] != MAGIC):
            self._unsealed(data, where, probe, chan)
            return
        mac = chan.open.copy()
        mac.update(memoryview(data)[:-MAC_BYTES])
        if not hmac.compare_digest(mac.digest(), data[-MAC_BYTES:]):
            self._bad_mac(where)
            return
        _, kind, flags, stream, seq, ack, ack_stream = unpack_header(data)
        chan.heard = time.monotonic()
        if chan.proof and not chan.confirmed:
            chan.confirmed = True  # the peer completed the handshake we started
        if ack_stream == chan.stream and kind in (DATA, ACK):
            self._acked(chan, ack)
            if kind == ACK and len(data) == SEALED + SACK_BITS // 8:
                self._selective(chan, ack, int.from_bytes(data[HDR.size:-MAC_BYTES], "big"))
        if kind == NAK:
            if ack_stream == chan.stream:
                self._restart(chan)
            return
        if kind != DATA:
            return
        if chan.in_stream != stream:
            if stream == chan.refused:
                # the start of a stream we refused, come late (reordered): its
                # sender restarts what it holds on a newer stream, so taking
                # this one up now would deliver the same messages twice
                self.stats["dropped_stale_stream"] += 1
                self._nak(chan, stream)
                return
            # Another stream than the one we read: the peer restarted it (we
            # NAKed) or it is a new process on a new session. Never an older
            # one: that would be a recorded datagram played back.
            if not (chan.fresh or chan.in_stream == 0 or newer(stream, chan.in_stream)):
                self.stats["dropped_stale_stream"] += 1
                self.complain("stale", f"dropped a datagram of an old stream from {where[0]}:{where[1]}")
                return
            if seq != 0:
                # a stream we do not know from its start: tell the sender to start over from 0
                self.stats["dropped_window"] += 1
                chan.refused = stream
                self._nak(chan, stream)
                return
            chan.in_stream = stream
            chan.expected = 0
            chan.early.clear()
            chan.partial.clear()
            chan.discarding = False
        chan.fresh = False
        chan.ack_owed = True
        self.owed.add(chan)
        offset = (seq - chan.expected) & 0xFFFFFFFF
        if offset >= 0x80000000:
            self.stats["duplicates"] += 1
            return
        if offset >= (RCV_WINDOW if chan.key is not None else STRANGER_WINDOW):
            self.stats["dropped_window"] += 1
            self.complain("window", f"dropped a datagram from {where[0]}:{where[1]} far ahead "
                          "of its stream (flood or corruption)")
            return
        payload = data[HDR.size:-MAC_BYTES]
        if offset:
            if seq in chan.early:
                self.stats["duplicates"] += 1
            chan.early[seq] = (flags, payload)
            return
        if not self._room(chan, len(payload)):
            return
        self._take(chan, flags, payload, deliver)
        early = chan.early
        while chan.expected in early:
            if not self._room(chan, len(early[chan.expected][1])):
                break
            flags, payload = early.pop(chan.expected)
            self._take(chan, flags, payload, deliver)

    def _room(self, chan: Channel, size: int) -> bool:
        """Whether a peer not known yet may hand over ``size`` more bytes. What is
        refused is not acknowledged, so not lost: the sender repeats it once the
        peer is known (its hello or marker arrived), or gives up on it."""
        if chan.key is not None:
            return True
        if chan.held < STRANGER_HELD and len(chan.partial) + size <= self.stranger_bytes:
            return True
        self.stats["dropped_window"] += 1
        return False

    def _nak(self, chan: Channel, stream: int) -> None:
        # At most one NAK per source per 0.2 s: a flood is not answered in kind.
        now = time.monotonic()
        where = chan.where
        if now < self._nak_next.get(where, 0.0):
            return
        if len(self._nak_next) > 1024:
            self._nak_next.clear()
        self._nak_next[where] = now + 0.2
        self._sendto(self._sealed(chan, pack_header(MAGIC, NAK, 0, 0, 0, 0, stream)), where)

    def _take(self, chan: Channel, flags: int, payload: bytes,
              deliver: Callable[[Channel, Envelope], None]) -> None:
        chan.expected = (chan.expected + 1) & 0xFFFFFFFF
        if not chan.discarding:
            chan.partial += payload
            if len(chan.partial) > self.limit + 4:
                self.stats["dropped_oversize"] += 1
                self.complain("oversize", f"a message from {chan.where[0]}:{chan.where[1]} "
                              f"grew past the Max Message Size ({self.limit}); dropped")
                chan.discarding = True
                chan.partial = bytearray()
        if not flags & LAST:
            return
        if chan.discarding:
            chan.discarding = False
            return
        buf, chan.partial = chan.partial, bytearray()
        try:
            envs = framing.split(buf, self.limit, one=True)
            why = "" if envs and not buf else "its length does not match its fragments"
        except framing.FrameError as exc:
            why = str(exc)
        if why:
            self.stats["dropped_garbage"] += 1
            self.complain("frame", f"dropped a message from {chan.where[0]}:{chan.where[1]}: {why}")
            return
        deliver(chan, envs[0])

    # -- waiting -------------------------------------------------------------
    def settle(self, limit: float, deliver: Callable[[Channel, Envelope], None],
               done: Callable[[], bool] | None = None) -> bool:
        """Keep reading (acks) and retransmitting until nothing waits for an ack
        or ``limit`` passes; True if everything was acknowledged."""
        done = done or (lambda: not self.busy())
        deadline = time.monotonic() + limit
        poll = select.poll()
        poll.register(self.fd, select.POLLIN)
        self.flush_acks()  # what arrived last (a reply) is acknowledged before we go
        while not done():
            now = time.monotonic()
            if now >= deadline:
                return False
            self.flush_acks()
            wait = self.retransmit(now)
            wait = min(deadline - now, 0.05 if wait is None else wait)
            if poll.poll(max(1, int(wait * 1000))):
                self.read(deliver)
        return True
