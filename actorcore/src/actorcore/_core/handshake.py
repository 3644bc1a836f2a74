"""Mutual authentication of a connection, and the MAC on every frame after it
(docs/api.md §9.4). No sockets here: a transport feeds this module the bytes it
reads and sends the bytes it is given, so the protocol is written once for
every network base and can be tested (and fuzzed) on its own.

The handshake, between an initiator I (who connected) and a responder R::

    I -> R  HELLO      context, nonce_i
    R -> I  CHALLENGE  nonce_r, tag_r = MAC(k, "responder" | transcript)
    I -> R  PROOF      tag_i = MAC(k, "initiator" | transcript)

where ``transcript`` holds the version, the context and both nonces, and
``k`` is the handshake key derived from the shared secret. Both nonces are
fresh, so a recorded handshake does not verify on a new connection; the
labels differ by direction, so a tag cannot be reflected back; the
initiator checks R's tag before it sends anything else, so a squatter on
a port learns nothing and can feed it nothing. A peer that fails gets a
REFUSED message saying so (and the transport closes), so the other side
reports "authentication failed", not a timeout.

After the handshake each side seals what it sends with its direction's key
(derived from the transcript with HMAC-SHA256): each frame carries a
16-byte keyed BLAKE2b MAC over *every frame sent so far in that direction*,
itself included (one running hash; each frame is length-prefixed, so the
sequence is unambiguous). Nothing but the tag is sent: a frame replayed,
dropped, reordered or spliced from another connection fails its check, and
so does everything after it. Keyed BLAKE2b is a MAC by design; kept
running, it costs one update and one digest per frame, a fraction of an
HMAC-SHA256 per frame, and it is on every message's path.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

MAGIC = b"ACH1"
NONCE_BYTES = 32
TAG_BYTES = 32
MAC_BYTES = 16
MAX_MESSAGE = 4096  # docs/api.md §9.4: nothing longer is read before the handshake
HELLO, CHALLENGE, PROOF, REFUSED = 1, 2, 3, 4
_MAX_CONTEXT = 64
_MAX_REASON = 200


class HandshakeError(ValueError):
    """Bytes that are not the handshake message expected now."""

    def __init__(self, message: str, reply: bytes | None = None) -> None:
        super().__init__(message)
        #: what to send the peer before closing (a REFUSED message), if anything
        self.reply = reply


class AuthenticationFailed(HandshakeError):
    """The peer does not hold the secret (or said that we do not)."""


def _refusal(reason: str) -> bytes:
    return MAGIC + bytes((REFUSED,)) + reason.encode("ascii", "replace")[:_MAX_REASON]


def _parse(message: bytes, expected: int) -> bytes:
    """The body of a handshake message of kind ``expected``; HandshakeError otherwise."""
    if len(message) > MAX_MESSAGE:
        raise HandshakeError(f"handshake message of {len(message)} bytes (over {MAX_MESSAGE})")
    if len(message) < 5 or message[:4] != MAGIC:
        raise HandshakeError("not an actorcore handshake (a peer of another kind, or of an older version)")
    kind = message[4]
    body = bytes(message[5:])
    if kind == REFUSED:
        reason = body.decode("ascii", "replace")
        raise AuthenticationFailed(f"authentication failed: the peer refused us ({reason})")
    if kind != expected:
        raise HandshakeError(f"handshake message of kind {kind} where {expected} was due")
    return body


class Handshake:
    """One side of one connection's handshake.

    ``key`` is the handshake key (``Secret.key("handshake")``); ``context``
    names the protocol (``b"tcp"``, ``b"udp"``), so a handshake of one never
    completes as another. The initiator calls :meth:`start` and sends what
    it returns; then each side passes every handshake message it reads to
    :meth:`receive` and sends what that returns, until :attr:`done`.
    """

    def __init__(self, key: bytes, initiator: bool, context: bytes) -> None:
        if len(context) > _MAX_CONTEXT:
            raise ValueError(f"handshake context over {_MAX_CONTEXT} bytes")
        self._key = key
        self.initiator = initiator
        self.context = context
        self._nonce = secrets.token_bytes(NONCE_BYTES)
        self._transcript = b""
        self._step = 0  # initiator: 0 start, 1 hello sent; responder: 0 wait hello, 1 challenge sent
        self.done = False

    def start(self) -> bytes:
        """The initiator's HELLO."""
        if not self.initiator or self._step:
            raise RuntimeError("start() is the initiator's first step, once")
        self._step = 1
        return MAGIC + bytes((HELLO, len(self.context))) + self.context + self._nonce

    def receive(self, message: bytes) -> bytes | None:
        """Take one handshake message; return the message to send back, if any.

        Raises :class:`HandshakeError` (or :class:`AuthenticationFailed`)
        for anything but the message due now; its ``reply`` is what to send
        the peer before closing.
        """
        if self.done:
            raise HandshakeError("handshake message after the handshake completed")
        if self.initiator:
            return self._initiator_receives(message)
        return self._responder_receives(message)

    def _initiator_receives(self, message: bytes) -> bytes:
        if self._step != 1:
            raise HandshakeError("the initiator has not sent its hello")
        body = _parse(message, CHALLENGE)
        if len(body) != NONCE_BYTES + TAG_BYTES:
            raise HandshakeError("malformed handshake challenge")
        theirs, tag = body[:NONCE_BYTES], body[NONCE_BYTES:]
        self._transcript = self._make_transcript(self._nonce, theirs)
        if not hmac.compare_digest(tag, self._tag(b"responder")):
            raise AuthenticationFailed(
                "authentication failed: the peer does not hold this system's secret",
                _refusal("authentication failed: you do not hold our secret"),
            )
        self.done = True
        return MAGIC + bytes((PROOF,)) + self._tag(b"initiator")

    def _responder_receives(self, message: bytes) -> bytes | None:
        if self._step == 0:
            body = _parse(message, HELLO)
            if not body or len(body) != 1 + body[0] + NONCE_BYTES:
                raise HandshakeError("malformed handshake hello")
            context = body[1 : 1 + body[0]]
            if context != self.context:
                raise HandshakeError(
                    f"handshake for {context!r} where {self.context!r} was expected",
                    _refusal("wrong protocol"),
                )
            theirs = body[1 + body[0] :]
            self._transcript = self._make_transcript(theirs, self._nonce)
            self._step = 1
            return MAGIC + bytes((CHALLENGE,)) + self._nonce + self._tag(b"responder")
        body = _parse(message, PROOF)
        if len(body) != TAG_BYTES or not hmac.compare_digest(body, self._tag(b"initiator")):
            raise AuthenticationFailed(
                "authentication failed: the peer does not hold this system's secret",
                _refusal("authentication failed: you do not hold our secret"),
            )
        self.done = True
        return None

    def _make_transcript(self, nonce_i: bytes, nonce_r: bytes) -> bytes:
        return MAGIC + bytes((len(self.context),)) + self.context + nonce_i + nonce_r

    def _tag(self, label: bytes) -> bytes:
        return hmac.digest(self._key, label + b"\0" + self._transcript, hashlib.sha256)

    def direction_keys(self) -> tuple[bytes, bytes]:
        """This side's (key for what it sends, key for what it reads).

        For a transport whose frames may be lost, repeated or reordered
        (UDP), which cannot use the running MAC of :meth:`sealers` and
        MACs each datagram over its own sequence numbers instead.
        """
        if not self.done:
            raise RuntimeError("the handshake has not completed")
        session = hmac.digest(self._key, b"session\0" + self._transcript, hashlib.sha256)
        to_r = hmac.digest(session, b"frames from initiator", hashlib.sha256)
        to_i = hmac.digest(session, b"frames from responder", hashlib.sha256)
        return (to_r, to_i) if self.initiator else (to_i, to_r)

    def sealers(self) -> tuple[FrameSealer, FrameOpener]:
        """This side's (sealer for what it sends, opener for what it reads)."""
        send, read = self.direction_keys()
        return FrameSealer(send), FrameOpener(read)


class FrameSealer:
    """The MACs of the frames sent in one direction, in order."""

    __slots__ = ("_mac",)

    def __init__(self, key: bytes) -> None:
        self._mac = hashlib.blake2b(digest_size=MAC_BYTES, key=key)

    def seal(self, *parts: bytes | memoryview) -> bytes:
        """The MAC of the next frame (``parts`` hashed as one string, its
        length prefix included) and of every frame before it."""
        mac = self._mac
        for part in parts:
            mac.update(part)
        return mac.digest()


class FrameOpener:
    """Checks the MACs of the frames read in one direction, in order."""

    __slots__ = ("_mac",)

    def __init__(self, key: bytes) -> None:
        self._mac = hashlib.blake2b(digest_size=MAC_BYTES, key=key)

    def check(self, tag: bytes | bytearray | memoryview, frame: bytes | memoryview) -> bool:
        """Whether ``tag`` is the MAC of ``frame`` as the next frame. After a
        False the opener is spent: a bad frame ends the connection."""
        mac = self._mac
        mac.update(frame)
        return hmac.compare_digest(mac.digest(), tag)
