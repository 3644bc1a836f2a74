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

This module knows datagrams and envelopes, never actors or admins.
"""
from __future__ import annotations

import errno
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
from actorcore.runtime import framing

MAGIC = b"AcU1"
HDR = struct.Struct("!4sBBIIII")  # magic kind flags stream seq ack ack_stream
DATA, ACK, NAK, PROBE, PROBE_REPLY = 1, 2, 3, 4, 5
LAST = 1  # flags: this fragment ends its message

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
        self.held = 0  # envelopes the owner holds back from this (not yet known) peer

    def pending_envelopes(self) -> list[Envelope]:
        """Whole messages not (known to be) delivered: unacknowledged or never sent."""
        return [o.env for o in (*self.unacked, *self.queued) if o.env is not None]

    def busy(self) -> bool:
        return bool(self.unacked or self.queued)


class Endpoint:
    """One UDP socket and its channels; thread-safe for ``send``."""

    def __init__(self, sock: socket.socket, limit: int = framing.DEFAULT_MAX,
                 stranger_bytes: int = STRANGER_BYTES) -> None:
        sock.setblocking(False)
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
        self.local: Address = sock.getsockname()[:2]
        self.limit = limit
        self.channels: dict[Address, Channel] = {}
        self.lock = threading.RLock()
        self.complain = RateLimitedLog()
        self.give_up = _env_float("ACTORCORE_UDP_GIVEUP_SECONDS", 300.0)
        self.drop_rate = _test_drop_rate()
        #: what this socket saw go wrong or had to repeat (status and loss reports)
        self.stats = {"retransmitted": 0, "dropped_garbage": 0, "dropped_window": 0,
                      "dropped_oversize": 0, "duplicates": 0, "lost_messages": 0,
                      "test_dropped": 0}
        self.closed = False
        self._nak_next: dict[Address, float] = {}
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
        """Move queued datagrams onto the wire while the window allows."""
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
        self._sendto(head + out.payload, chan.where)

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

    def control(self, kind: int, where: Address, seq: int = 0) -> None:
        """A one-datagram message outside any stream (acks, probes)."""
        chan = self.channels.get(where)
        stream = chan.in_stream if chan is not None else 0
        self._sendto(HDR.pack(MAGIC, kind, 0, 0, seq, seq, stream), where)

    def flush_acks(self) -> None:
        """Acknowledge what arrived where no reply carried the ack already."""
        with self.lock:
            owed, self.owed = self.owed, set()
            for chan in owed:
                if chan.ack_owed:
                    chan.ack_owed = False
                    self._sendto(HDR.pack(MAGIC, ACK, 0, 0, 0, chan.expected, chan.in_stream)
                                 + self._sack(chan), chan.where)

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
        return None if soonest is None else max(0.0, soonest - now)

    def abandon(self, chan: Channel, why: str) -> list[Envelope]:
        """Stop sending to ``chan`` (its peer is gone); returns what it never delivered."""
        lost = chan.pending_envelopes()
        if lost:
            self.stats["lost_messages"] += len(lost)
            self.complain("lost", f"gave up on {len(lost)} message(s) to "
                          f"{chan.where[0]}:{chan.where[1]}: {why}")
        chan.unacked.clear()
        chan.queued.clear()
        chan.unacked_bytes = 0
        return lost

    def forget(self, where: Address) -> list[Envelope]:
        """Drop all state for ``where``; what was never delivered comes back."""
        with self.lock:
            chan = self.channels.pop(where, None)
            if chan is None:
                return []
            self.sending.discard(chan)
            self.owed.discard(chan)
            return chan.pending_envelopes()

    def expire_strangers(self, now: float, limit: float) -> None:
        """Streams that said no hello within ``limit`` seconds: incomplete sets
        of fragments, or somebody probing. Their state goes."""
        with self.lock:
            for where, chan in list(self.channels.items()):
                if chan.key is None and now - chan.heard > limit and not chan.busy():
                    del self.channels[where]
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
        sock = self.sock
        count = 0
        with self.lock:
            while count < READ_BATCH:
                try:
                    data, where = sock.recvfrom(65536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break  # e.g. a stale ICMP error on the socket: nothing to read
                count += 1
                self._datagram(data, where[:2], deliver, probe)
        return count

    def _datagram(self, data: bytes, where: Address,
                  deliver: Callable[[Channel, Envelope], None],
                  probe: Callable[[Address], None] | None) -> None:
        if len(data) < HDR.size or data[:4] != MAGIC:
            self.stats["dropped_garbage"] += 1
            self.complain("garbage", f"dropped a datagram from {where[0]}:{where[1]} that is not "
                          f"actorcore UDP ({len(data)} bytes)")
            return
        _, kind, flags, stream, seq, ack, ack_stream = HDR.unpack_from(data)
        chan = self.channels.get(where)
        if kind == PROBE:
            if probe is not None:
                probe(where)
            return
        if chan is not None:
            chan.heard = time.monotonic()
            if ack_stream == chan.stream and kind in (DATA, ACK):
                self._acked(chan, ack)
                if kind == ACK and len(data) == HDR.size + SACK_BITS // 8:
                    self._selective(chan, ack, int.from_bytes(data[HDR.size:], "big"))
        if kind == NAK:
            if chan is not None and ack_stream == chan.stream:
                self._restart(chan)
            return
        if kind != DATA:
            return
        if chan is None or chan.in_stream != stream:
            if seq != 0:
                # A stream we do not know (we restarted, or garbage that looks
                # right): tell the sender to start over from 0.
                self.stats["dropped_window"] += 1
                self._nak(stream, where)
                return
            if chan is None:
                strangers = sum(1 for c in self.channels.values() if c.key is None)
                if len(self.channels) >= MAX_CHANNELS or strangers >= MAX_STRANGERS:
                    self.complain("channels", f"too many peers; dropped a stream from "
                                  f"{where[0]}:{where[1]}")
                    return
                chan = self.channels[where] = Channel(where)
            chan.in_stream = stream
            chan.expected = 0
            chan.early.clear()
            chan.partial.clear()
            chan.discarding = False
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
        if offset:
            if seq in chan.early:
                self.stats["duplicates"] += 1
            chan.early[seq] = (flags, data[HDR.size:])
            return
        if not self._room(chan, len(data) - HDR.size):
            return
        self._take(chan, flags, data[HDR.size:], deliver)
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

    def _nak(self, stream: int, where: Address) -> None:
        # At most one NAK per source per 0.2 s: a flood is not answered in kind.
        now = time.monotonic()
        if now < self._nak_next.get(where, 0.0):
            return
        if len(self._nak_next) > 1024:
            self._nak_next.clear()
        self._nak_next[where] = now + 0.2
        self._sendto(HDR.pack(MAGIC, NAK, 0, 0, 0, 0, stream), where)

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
        if not bits:
            return
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
        chan.stream = random.getrandbits(32) or 1
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
