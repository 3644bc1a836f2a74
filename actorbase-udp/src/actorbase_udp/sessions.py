"""The bottom layer of a UDP socket's :class:`~.datagrams.Endpoint`: the
socket itself, and the session it holds with each remote socket.

Nothing moves on a stream before its two sockets have run the handshake of
``actorcore._core.handshake`` (in ``HS`` datagrams, repeated until answered since
they are not part of the acknowledged stream). After it, every data, ack
and NAK datagram ends with a 16-byte MAC under the channel's session key for
its direction, over the header and the payload; it is checked before the
datagram can acknowledge, NAK, repeat or restart anything. Only the bare
probe and its reply, the handshake and "no session" hints travel without a
MAC, and none of them changes a stream. Datagrams from a socket without a
session are dropped (and answered with a rate-limited hint so that a peer
that lost its session runs the handshake again); a handshake message over
4 KiB is dropped unread. Knows datagrams and keys, never streams' contents
or actors.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import random
import socket
import threading
import time
from typing import Callable

from actorcore.plugin import (
    CHALLENGE,
    HELLO,
    MAC_BYTES,
    MAX_MESSAGE,
    PROOF,
    REFUSED,
    AuthenticationFailed,
    Handshake,
    HandshakeError,
    internal_log,
)
from actorcore.plugin import HANDSHAKE_MAGIC as HS_MAGIC

from .channel import Channel
from .wire import (
    ACK,
    CONTEXT,
    DATA,
    HDR,
    HS,
    HS_FIRST,
    MAGIC,
    MAX_CHANNELS,
    MAX_PENDING,
    NAK,
    NOSESSION,
    PROBE,
    REKEY_EVERY,
    RTO_MAX,
    SOCKET_BUFFER,
    Address,
    Envelope,
    fmt,
    pack_header,
    test_drop_rate,
)

_log = logging.getLogger("actorcore.udp")


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
        internal_log(logging.WARNING, f"udp: {text}{more}")


class _Pending:
    """A handshake this socket answered (as responder) and waits to complete."""

    __slots__ = ("hs", "hello", "challenge", "deadline", "since")

    def __init__(self, hs: Handshake, hello: bytes, challenge: bytes, deadline: float) -> None:
        self.hs = hs
        self.hello = hello
        self.challenge = challenge
        self.deadline = deadline
        self.since = time.monotonic()


class SessionSocket:
    """One UDP socket and its sessions; the streams above it
    (:class:`~.sending.StreamSender`) supply :meth:`_ack`, :meth:`_pump` and
    :meth:`abandon`."""

    def __init__(self, sock: socket.socket, key: bytes, hs_limit: float) -> None:
        sock.setblocking(False)
        self.key = key  # the handshake key
        self.hs_limit = hs_limit
        self.pending: dict[Address, _Pending] = {}
        self.handshaking: set[Channel] = set()
        #: why our handshake with an address failed (reason, whether it was denied)
        self.auth_failures: dict[Address, tuple[str, bool]] = {}
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
        self.channels: dict[Address, Channel] = {}
        self.lock = threading.RLock()
        self.complain = RateLimitedLog()
        self.drop_rate = test_drop_rate()
        #: what this socket saw go wrong or had to repeat (status and loss reports)
        self.stats = {"retransmitted": 0, "dropped_garbage": 0, "dropped_window": 0,
                      "dropped_oversize": 0, "duplicates": 0, "lost_messages": 0,
                      "test_dropped": 0, "dropped_unauthenticated": 0, "dropped_bad_mac": 0,
                      "dropped_stale_stream": 0, "dropped_sender": 0, "handshakes": 0,
                      "handshakes_refused": 0, "rekeyed": 0}
        self.closed = False
        self._hint_next: dict[Address, float] = {}
        self._reported: dict[str, int] = {}

    # -- what the streams supply ---------------------------------------------
    def _ack(self, chan: Channel) -> None:
        """Acknowledge what arrived from ``chan``'s socket (which also tells the
        initiator of a handshake that we hold the session)."""
        raise NotImplementedError

    def _pump(self, chan: Channel) -> None:
        """Move what waits for ``chan``'s socket onto the wire (its session is ready)."""
        raise NotImplementedError

    def abandon(self, chan: Channel, why: str) -> list[Envelope]:
        """Stop sending to ``chan``'s socket; what it never delivered comes back."""
        raise NotImplementedError

    # -- the wire --------------------------------------------------------------
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
        self._sendto(pack_header(MAGIC, kind, 0, 0, 0, 0, 0) + body, where)

    # -- what is not sealed ------------------------------------------------------
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

    # -- reporting and closing ------------------------------------------------
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
            internal_log(level, f"udp {self.local[0]}:{self.local[1]}"
                                 f"{' at close' if final else ''}: {text}")

    def close(self) -> None:
        if not self.closed:
            self.report(final=True)
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass
