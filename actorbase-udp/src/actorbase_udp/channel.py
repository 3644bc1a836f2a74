"""Reliable, ordered envelope streams over one UDP socket.

Every process owns one :class:`Endpoint` (one socket). For each remote socket
it talks to it keeps a :class:`Channel`: an outgoing stream of numbered
datagrams that stay queued until the peer acknowledges them (retransmitted
with back-off), and an incoming stream delivered strictly in sequence, with
duplicates dropped. A message larger than one datagram is cut into fragments
that travel as consecutive sequence numbers and are joined on arrival, so
reassembly needs no state beyond the in-order stream itself.

Datagram header (``HDR``): magic, kind, flags, the sender's stream id, the
sequence number, and a cumulative acknowledgement (with the stream id it
acknowledges) for the opposite direction, carried on every data datagram so
a reply usually doubles as the ack.

Nothing moves on a channel before its two sockets have run the handshake of
``actorcore.handshake`` (in ``HS`` datagrams, repeated until answered since
they are not part of the acknowledged stream). After it, every data, ack
and NAK datagram ends with a 16-byte MAC under the channel's session key for
its direction, over the header and the payload; it is checked before the
datagram can acknowledge, NAK, repeat or restart anything. Replays are the
stream's duplicates (the MAC covers the sequence numbers), and a stream is
only ever replaced by a newer one. Only the bare probe and its reply, the
handshake and "no session" hints travel without a MAC, and none of them
changes a stream. Datagrams from a socket without a session are dropped
(and answered with a rate-limited hint so that a peer that lost its session
runs the handshake again); a handshake message over 4 KiB is dropped unread.

This module knows datagrams and envelopes, never actors or admins.
"""
from __future__ import annotations

import errno
import hashlib
import hmac
import logging
import os
import random
import select
import socket
import struct
import threading
import time
from collections import deque
from typing import Any, Callable, Iterable

from actorcore import plugins
from actorcore.handshake import (
    CHALLENGE,
    HELLO,
    MAC_BYTES,
    MAX_MESSAGE,
    PROOF,
    REFUSED,
    AuthenticationFailed,
    Handshake,
    HandshakeError,
)
from actorcore.handshake import MAGIC as HS_MAGIC
from actorcore.runtime import framing

MAGIC = b"AcU2"  # 2: authenticated (a version-1 peer's datagrams are garbage here)
HDR = struct.Struct("!4sBBIIII")  # magic kind flags stream seq ack ack_stream
DATA, ACK, NAK, PROBE, PROBE_REPLY, HS, NOSESSION = 1, 2, 3, 4, 5, 6, 7
LAST = 1  # flags: this fragment ends its message
CONTEXT = b"actorcore udp"
SEALED = HDR.size + MAC_BYTES  # the shortest sealed datagram (header, no payload, MAC)

#: Payload per datagram: loopback carries near-64 KiB datagrams in one piece;
#: anything else stays under a common Ethernet MTU, so one lost IP fragment
#: does not take a whole 64 KiB datagram with it.
LOOPBACK_PAYLOAD = 65000
NETWORK_PAYLOAD = 1400

WINDOW = 128  # datagrams in flight per channel before the rest waits in order
WINDOW_BYTES = 2 * 1024 * 1024
RCV_WINDOW = 256  # out-of-order datagrams a receiver keeps per channel (bounded memory)
#: A stream whose hello has not been read yet may be anyone's: it gets a tiny
#: window, a hello-sized message at most, and only so many of them at once.
STRANGER_WINDOW = 4
STRANGER_BYTES = 64 * 1024
MAX_STRANGERS = 128
STRANGER_HELD = 64
MAX_CHANNELS = 4096
RTO_FIRST = 0.1  # seconds before the first retransmission
RTO_MAX = 2.0
SOCKET_BUFFER = 8 * 1024 * 1024
SACK_BITS = 256  # how far past a gap an ack says what arrived
READ_BATCH = 512  # datagrams read per wake-up before the loop gets a turn
HS_FIRST = 0.1  # seconds before a handshake message is sent again
MAX_PENDING = 128  # handshakes answered but not completed, per socket
REKEY_EVERY = 1.0  # at most one handshake per peer per second on its hint

_log = logging.getLogger("actorcore.udp")

Address = tuple[str, int]
Envelope = tuple[str, str, bytes]


def _env_float(name: str, default: float) -> float:
    try:
        return max(0.01, float(os.environ.get(name, default)))
    except ValueError:
        return default


def payload_size(where: Address) -> int:
    return LOOPBACK_PAYLOAD if where[0].startswith("127.") else NETWORK_PAYLOAD


class RateLimitedLog:
    """At most one line per ``period`` per kind of trouble, with the count
    dropped since the last line, so a flood cannot flood the log too."""

    def __init__(self, period: float = 5.0) -> None:
        self.period = period
        self._next: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def __call__(self, kind: str, text: str) -> None:
        now = time.monotonic()
        if now < self._next.get(kind, 0.0):
            self._quiet[kind] = self._quiet.get(kind, 0) + 1
            return
        self._next[kind] = now + self.period
        quiet = self._quiet.pop(kind, 0)
        more = f" ({quiet} more like it not logged)" if quiet else ""
        _log.warning("%s%s", text, more)
        plugins.internal_log(logging.WARNING, f"udp: {text}{more}")


class _Out:
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
        self.unacked: deque[_Out] = deque()
        self.unacked_bytes = 0
        self.queued: deque[_Out] = deque()
        self.in_stream = 0  # the peer's stream id we read (0: none yet)
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


def _newer(a: int, b: int) -> bool:
    """Stream id ``a`` comes after ``b`` (serial arithmetic on 32 bits)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


class _Pending:
    """A handshake this socket answered (as responder) and waits to complete."""

    __slots__ = ("hs", "hello", "challenge", "deadline", "since")

    def __init__(self, hs: Handshake, hello: bytes, challenge: bytes, deadline: float) -> None:
        self.hs = hs
        self.hello = hello
        self.challenge = challenge
        self.deadline = deadline
        self.since = time.monotonic()


class Endpoint:
    """One UDP socket and its channels; thread-safe for ``send``."""

    def __init__(self, sock: socket.socket, key: bytes, limit: int = framing.DEFAULT_MAX,
                 stranger_bytes: int = STRANGER_BYTES, hs_limit: float = 10.0) -> None:
        sock.setblocking(False)
        self.key = key  # the handshake key
        self.hs_limit = hs_limit
        self.pending: dict[Address, _Pending] = {}
        self.handshaking: set[Channel] = set()
        #: why our handshake with an address failed (reason, whether it was denied)
        self.auth_failures: dict[Address, tuple[str, bool]] = {}
        self.stranger_bytes = stranger_bytes
        for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):
            try:  # SO_RCVBUFFORCE/SO_SNDBUFFORCE pass rmem_max when we may
                sock.setsockopt(socket.SOL_SOCKET, force, SOCKET_BUFFER)
            except OSError:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
                except OSError:
                    pass
        self.sock = sock
        self.fd = sock.fileno()
        # one buffer for every datagram read: recvfrom(65536) allocates 64 KiB
        # for each, however small the datagram
        self._rx_view = memoryview(bytearray(65536))
        self.local: Address = sock.getsockname()[:2]
        self.limit = limit
        self.channels: dict[Address, Channel] = {}
        self.lock = threading.RLock()
        #: given (where, envelopes) a channel gave up on; True if it sent them elsewhere
        self.rescue: Callable[[Address, list[Envelope]], bool] | None = None
        self.complain = RateLimitedLog()
        self.give_up = _env_float("ACTORCORE_UDP_GIVEUP_SECONDS", 300.0)
        self.drop_rate = _test_drop_rate()
        #: what this socket saw go wrong or had to repeat (status and loss reports)
        self.stats = {"retransmitted": 0, "dropped_garbage": 0, "dropped_window": 0,
                      "dropped_oversize": 0, "duplicates": 0, "lost_messages": 0,
                      "test_dropped": 0, "dropped_unauthenticated": 0, "dropped_bad_mac": 0,
                      "dropped_stale_stream": 0, "dropped_sender": 0, "handshakes": 0,
                      "handshakes_refused": 0, "rekeyed": 0}
        self.closed = False
        self._nak_next: dict[Address, float] = {}
        self._hint_next: dict[Address, float] = {}
        # Only the channels that owe an ack, or wait for one, are visited on
        # every wake-up: an admin may hold hundreds of quiet ones.
        self.owed: set[Channel] = set()
        self.sending: set[Channel] = set()
        self._reported: dict[str, int] = {}

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
                out = _Out(chan.next_seq, LAST if last else 0,
                           frame[i * size:(i + 1) * size], env if last else None)
                chan.next_seq = (chan.next_seq + 1) & 0xFFFFFFFF
                chan.queued.append(out)
            self._pump(chan)

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

    def _transmit(self, chan: Channel, out: _Out, now: float) -> None:
        head = HDR.pack(MAGIC, DATA, out.flags, chan.stream, out.seq, chan.expected, chan.in_stream)
        if not chan.early:  # with a gap open, the standalone ack (and its map) still goes
            chan.ack_owed = False
        out.tries += 1
        out.due = now + min(RTO_MAX, RTO_FIRST * (1 << min(out.tries - 1, 5)))
        # sealed here rather than by a helper: this runs once per datagram
        body = head + out.payload
        mac = chan.seal.copy()
        mac.update(body)
        self._sendto(body + mac.digest(), chan.where)

    @staticmethod
    def _sealed(chan: Channel, body: bytes) -> bytes:
        """``body`` (header and payload) followed by its MAC: the tag goes
        last so that sender and receiver each hash one contiguous buffer."""
        mac = chan.seal.copy()
        mac.update(body)
        return body + mac.digest()

    def _sendto(self, datagram: bytes, where: Address) -> None:
        if self.drop_rate and random.random() < self.drop_rate:
            self.stats["test_dropped"] += 1
            return
        try:
            self.sock.sendto(datagram, where)
        except (BlockingIOError, InterruptedError):
            pass  # the socket buffer is full: this is a loss, repaired by retransmission
        except OSError as exc:
            if exc.errno not in (errno.ENOBUFS, errno.ECONNREFUSED, errno.EHOSTUNREACH,
                                 errno.ENETUNREACH, errno.EPERM):
                self.complain("sendto", f"sendto {where[0]}:{where[1]} failed: {exc}")

    def control(self, kind: int, where: Address, body: bytes = b"") -> None:
        """A datagram outside any stream and without a MAC: a probe, its
        reply, a handshake message or a "no session" hint."""
        self._sendto(HDR.pack(MAGIC, kind, 0, 0, 0, 0, 0) + body, where)

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
            self._sendto(self._sealed(chan, HDR.pack(MAGIC, ACK, 0, 0, 0, chan.expected, chan.in_stream)
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

    def report(self, final: bool = False) -> None:
        """Write what was repeated, dropped or lost since the last report to the
        internal log (rate-limited by the caller; ``final`` at close)."""
        stats = self.stats
        changed = {k: v - self._reported.get(k, 0) for k, v in stats.items()
                   if v != self._reported.get(k, 0)}
        if not changed and not final:
            return
        self._reported = dict(stats)
        level = logging.WARNING if stats["lost_messages"] or stats["dropped_garbage"] \
            else logging.INFO
        if changed or any(stats.values()):
            text = ", ".join(f"{k}={v}" for k, v in stats.items())
            plugins.internal_log(level, f"udp {self.local[0]}:{self.local[1]}"
                                 f"{' at close' if final else ''}: {text}")

    def backlog(self) -> int:
        with self.lock:
            return sum(len(c.queued) for c in self.channels.values())

    def busy(self) -> bool:
        with self.lock:
            return any(c.busy() for c in self.channels.values())

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
        _, kind, flags, stream, seq, ack, ack_stream = HDR.unpack_from(data)
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
            # Another stream than the one we read: the peer restarted it (we
            # NAKed) or it is a new process on a new session. Never an older
            # one: that would be a recorded datagram played back.
            if not (chan.fresh or chan.in_stream == 0 or _newer(stream, chan.in_stream)):
                self.stats["dropped_stale_stream"] += 1
                self.complain("stale", f"dropped a datagram of an old stream from {where[0]}:{where[1]}")
                return
            if seq != 0:
                # a stream we do not know from its start: tell the sender to start over from 0
                self.stats["dropped_window"] += 1
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

    def _unsealed(self, data: bytes, where: Address, probe: Callable[[Address], None] | None,
                  chan: Channel | None) -> None:
        """A datagram that is not a sealed one of a session: garbage, a probe,
        a handshake message, a "no session" hint, or stream traffic from a
        socket without a session (or too short to hold a MAC)."""
        if len(data) < HDR.size or data[:4] != MAGIC:
            self.stats["dropped_garbage"] += 1
            self.complain("garbage", f"dropped a datagram from {where[0]}:{where[1]} that is not "
                          f"actorcore UDP ({len(data)} bytes)")
            return
        kind = data[4]
        if kind == PROBE:
            if probe is not None:
                probe(where)
        elif kind == HS:
            self._handshake_message(data[HDR.size:], where)
        elif kind == NOSESSION:
            self._hinted(where)
        elif kind not in (DATA, ACK, NAK):
            return  # a probe reply (the prober reads it on a socket of its own), or unknown
        elif chan is None or chan.open is None:
            self.stats["dropped_unauthenticated"] += 1
            self.complain("unauthenticated", f"dropped a datagram from {where[0]}:{where[1]}: "
                          "it has not authenticated (no handshake with the system's secret)")
            self._hint(where)
        else:
            self._bad_mac(where)  # too short to hold a MAC

    def _bad_mac(self, where: Address) -> None:
        self.stats["dropped_bad_mac"] += 1
        self.complain("mac", f"dropped a datagram from {where[0]}:{where[1]} whose MAC does not "
                      "verify (forged, spoofed, corrupted or from an old session)")

    # -- the handshake -------------------------------------------------------
    def _initiate(self, chan: Channel) -> None:
        """Start our handshake with ``chan``'s socket (its messages are
        repeated by :meth:`_handshake_timers` until answered)."""
        now = time.monotonic()
        chan.hs = Handshake(self.key, True, CONTEXT)
        chan.hs_hello = chan.hs.start()
        chan.hs_tries = 0
        chan.hs_due = now
        chan.hs_deadline = now + self.hs_limit
        chan.challenge = chan.proof = b""
        chan.confirmed = False
        self.handshaking.add(chan)
        self.auth_failures.pop(chan.where, None)
        self._handshake_timers(now)

    def _handshake_timers(self, now: float) -> float | None:
        """Repeat our handshake messages that are due, give up on those past
        their deadline, forget answered ones that never completed; returns
        when the next is due."""
        soonest: float | None = None
        for chan in list(self.handshaking):
            if chan.hs is None and (chan.confirmed or not chan.proof):
                self.handshaking.discard(chan)
                continue
            if now >= chan.hs_deadline:
                self.handshaking.discard(chan)
                if chan.hs is not None:
                    self._failed(chan, f"no handshake answer from {fmt(chan.where)} within "
                                       f"{self.hs_limit:g} s", False)
                chan.proof = b""  # unconfirmed: the peer's data will show whether it took it
                continue
            if now >= chan.hs_due:
                self.control(HS, chan.where, chan.hs_hello if chan.hs is not None else chan.proof)
                chan.hs_tries += 1
                chan.hs_due = now + min(RTO_MAX, HS_FIRST * (1 << min(chan.hs_tries - 1, 5)))
            if soonest is None or chan.hs_due < soonest:
                soonest = chan.hs_due
        for where, pending in list(self.pending.items()):
            if now >= pending.deadline:
                del self.pending[where]
                other = self.channels.get(where)
                if other is not None and other.session_at > pending.since:
                    continue  # both sides started at once and the other handshake won
                self.stats["handshakes_refused"] += 1
                self.complain("handshake", f"dropped a handshake from {where[0]}:{where[1]}: "
                              f"not completed within {self.hs_limit:g} s")
            elif soonest is None or pending.deadline < soonest:
                soonest = pending.deadline
        return soonest

    def _handshake_message(self, message: bytes, where: Address) -> None:
        if len(message) > MAX_MESSAGE or len(message) < 5 or message[:4] != HS_MAGIC:
            self.stats["dropped_unauthenticated"] += 1
            self.complain("handshake", f"dropped a handshake datagram from {where[0]}:{where[1]}: "
                          f"not an actorcore handshake message ({len(message)} bytes)")
            return
        kind = message[4]
        chan = self.channels.get(where)
        # the channel, while our own handshake with that socket runs
        ours = chan if chan is not None and chan.hs is not None else None
        if kind == HELLO:
            if ours is not None and ours.hs_hello >= message:
                return  # both started at once: the larger hello goes on, the other answers
            self._respond(message, where, chan)
        elif kind == CHALLENGE or (kind == REFUSED and ours is not None and ours.seal is None):
            if ours is None or ours.hs is None:
                if chan is not None and chan.proof and message == chan.challenge:
                    self.control(HS, where, chan.proof)  # our proof was lost: again
                return
            hs = ours.hs
            try:
                proof = hs.receive(message)
            except HandshakeError as exc:
                if exc.reply is not None:
                    self.control(HS, where, exc.reply)
                self._failed(ours, str(exc), isinstance(exc, AuthenticationFailed))
                return
            ours.challenge, ours.proof = message, proof or b""
            self._session(ours, hs)
            self.pending.pop(where, None)  # one session per pair: ours won
            ours.hs = None
            ours.hs_tries = 0
            ours.hs_due = time.monotonic()
            self._handshake_timers(ours.hs_due)  # sends the proof (again until confirmed)
            self._pump(ours)
        elif kind in (PROOF, REFUSED):
            pending = self.pending.pop(where, None)
            if pending is None:
                if kind == PROOF and chan is not None and message == chan.peer_proof:
                    self._ack(chan)  # our confirmation was lost: again
                return
            try:
                pending.hs.receive(message)
            except HandshakeError as exc:
                self._refuse(where, exc)
                return
            if chan is None:
                if len(self.channels) >= MAX_CHANNELS:
                    self.complain("channels", f"too many peers; dropped {where[0]}:{where[1]}")
                    return
                chan = self.channels[where] = Channel(where)
            if chan.hs is not None or chan.proof:  # we had started too, and gave way
                chan.hs = None
                chan.proof = b""
                self.handshaking.discard(chan)
            chan.peer_proof = message
            self._session(chan, pending.hs)
            self._ack(chan)  # tells the initiator we hold the session too
            self._pump(chan)
        else:
            self.stats["dropped_unauthenticated"] += 1

    def _respond(self, hello: bytes, where: Address, chan: Channel | None) -> None:
        pending = self.pending.get(where)
        if pending is not None and pending.hello == hello:
            self.control(HS, where, pending.challenge)  # our challenge was lost: again
            return
        if pending is None and len(self.pending) >= MAX_PENDING:
            self.stats["handshakes_refused"] += 1
            self.complain("pending", f"ignored a handshake from {where[0]}:{where[1]}: "
                          f"{len(self.pending)} handshakes are not completed yet")
            return
        hs = Handshake(self.key, False, CONTEXT)
        try:
            challenge = hs.receive(hello) or b""
        except HandshakeError as exc:
            self._refuse(where, exc)
            return
        # A session this socket holds stays in force until this one completes:
        # a spoofed hello can neither end it nor take its place.
        self.pending[where] = _Pending(hs, hello, challenge, time.monotonic() + self.hs_limit)
        self.control(HS, where, challenge)

    def _refuse(self, where: Address, exc: HandshakeError) -> None:
        """A handshake we answered failed: tell the peer (so it reports
        "authentication failed", not a timeout), count and log it."""
        if exc.reply is not None:
            self.control(HS, where, exc.reply)
        self.stats["handshakes_refused"] += 1
        self.complain("auth", f"refused {where[0]}:{where[1]}: {exc}")

    def _session(self, chan: Channel, hs: Handshake) -> None:
        send, read = hs.direction_keys()
        # keyed BLAKE2b: a MAC by design, a third of HMAC-SHA256's cost per datagram
        chan.seal = hashlib.blake2b(digest_size=MAC_BYTES, key=send)
        chan.open = hashlib.blake2b(digest_size=MAC_BYTES, key=read)
        chan.fresh = True
        chan.heard = chan.session_at = time.monotonic()
        self.stats["handshakes"] += 1
        self.auth_failures.pop(chan.where, None)

    def _failed(self, chan: Channel, why: str, denied: bool) -> None:
        """Our handshake with ``chan``'s socket failed. Without a session
        before it, what waits for that socket is given up on."""
        chan.hs = None
        self.handshaking.discard(chan)
        self.stats["handshakes_refused"] += 1
        self.auth_failures[chan.where] = (why, denied)
        self.complain("auth", f"handshake with {fmt(chan.where)} failed: {why}")
        if chan.seal is None:
            self.abandon(chan, why)

    def _hint(self, where: Address) -> None:
        """Tell a socket that sent us sealed datagrams that we hold no session
        with it (we restarted, or forgot it): it runs the handshake again.
        Rate-limited per source: a flood is not answered in kind."""
        now = time.monotonic()
        if now < self._hint_next.get(where, 0.0):
            return
        if len(self._hint_next) > 1024:
            self._hint_next.clear()
        self._hint_next[where] = now + 0.2
        self.control(NOSESSION, where)

    def _hinted(self, where: Address) -> None:
        """The peer says it holds no session with us. Unauthenticated, so it
        only ever starts a handshake (at most once a second): the session we
        hold stays in force until a new one completes."""
        chan = self.channels.get(where)
        now = time.monotonic()
        if chan is None or chan.seal is None or chan.hs is not None or now < chan.rekey_next:
            return
        chan.rekey_next = now + REKEY_EVERY
        self.stats["rekeyed"] += 1
        self._initiate(chan)

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
        self._sendto(self._sealed(chan, HDR.pack(MAGIC, NAK, 0, 0, 0, 0, stream)), where)

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
        if not bits or not chan.unacked or _newer(chan.unacked[0].seq, ack):
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

    def close(self) -> None:
        if not self.closed:
            self.report(final=True)
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


def _test_drop_rate() -> float:
    """``ACTORCORE_UDP_TEST_DROP``: a fraction of outgoing datagrams to throw
    away, for loss tests where the kernel has no netem. Never set in use."""
    raw = os.environ.get("ACTORCORE_UDP_TEST_DROP", "")
    if not raw:
        return 0.0
    try:
        return min(0.9, max(0.0, float(raw)))
    except ValueError:
        return 0.0


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, port))
    return sock


def resolve(text: str) -> Address:
    """``host:port`` as a socket address. A numeric IPv4 host is taken as it is:
    the first name lookup in a process loads the resolver (milliseconds), and
    every address the transports exchange among themselves is numeric."""
    host, _, port = text.rpartition(":")
    try:
        socket.inet_aton(host)
    except OSError:
        host = socket.gethostbyname(host)
    return host, int(port)


def fmt(where: Iterable[Any]) -> str:
    host, port = tuple(where)[:2]
    return f"{host}:{port}"
