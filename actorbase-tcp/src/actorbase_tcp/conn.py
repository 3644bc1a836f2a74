"""Conn: one TCP connection carrying framed envelopes both ways.

With TLS (``tls.py``) the connection is first wrapped in mutual TLS, done
through memory BIOs so that nothing here ever blocks on the TLS handshake
and one lock keeps the reading and writing threads out of each other's way
in OpenSSL. Then, TLS or not, every connection runs the handshake of
``actorcore._core.handshake`` (inside TLS, frames carry no MAC of their own: TLS
already refuses altered, replayed or reordered records):
until it completes, only handshake messages of at most 4 KiB are read (the
buffer never holds more), envelopes put to it wait unsealed, and nothing
read is handed on. After it, every frame is sealed with a MAC both ways.

A send goes straight into the socket when the kernel takes all of it, and
through a per-connection flusher thread otherwise, so a slow peer never
blocks the sender and order is kept. Reads never block and keep partial
frames; a frame over the size limit, a frame whose MAC fails, or bytes
that do not frame, end the connection (the caller logs why).
"""
from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING

from actorcore.plugin import (
    MAX_MESSAGE,
    AuthenticationFailed,
    FrameOpener,
    FrameSealer,
    Handshake,
    HandshakeError,
    Outbox,
    framing,
)

if TYPE_CHECKING:
    from .tls import TlsFiles

_READ = framing.READ_SIZE
_TLS_RECORD = 16384  # the most plaintext one TLS record holds (2**14)
CONTEXT = b"actorcore tcp"


class AuthError(framing.FrameError):
    """The handshake failed (its text says why). ``denied``: the peer speaks
    our protocol but one of us lacks the secret; otherwise it is not ours."""

    def __init__(self, message: str, denied: bool = False) -> None:
        super().__init__(message)
        self.denied = denied


class Conn:
    """A connected socket; ``peer`` is the process key learned from its hello.

    ``key`` is the handshake key; ``initiator`` says which side of the
    handshake this is (the side that connected).
    """

    def __init__(self, sock: socket.socket, key: bytes, initiator: bool,
                 peer: str | None = None, limit: int = framing.DEFAULT_MAX,
                 tls: TlsFiles | None = None) -> None:
        sock.setblocking(True)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.sock = sock
        self.fd = sock.fileno()
        self.peer = peer
        #: (peer, sender name) last found to belong together: the sender
        #: check runs for every message, and an actor sends under one name
        self.sender: tuple[str | None, str] = (None, "")
        self.limit = limit
        self.listen: str = ""  # the peer's listening address, from its hello
        self.where: str = ""  # set on connections we opened to a peer admin
        self.is_peer = False  # a connection to another system's admin
        self._out = Outbox(self._try_send, sock.sendall, "actorcore-tcp")
        self._buf = bytearray()
        self.eof = False
        self.closed = False
        self._watch: select.poll | None = None
        self._hs: Handshake | None = Handshake(key, initiator, CONTEXT)
        self._held: list[tuple[str, str, bytes]] = []  # put before the handshake completed
        self._seal_lock = threading.Lock()  # sealing order is sending order
        self._done = threading.Event()  # the handshake completed, or was abandoned
        self._sealer: FrameSealer | None = None
        self._opener: FrameOpener | None = None
        self._tls: ssl.SSLObject | None = None
        if tls is not None:
            self._tls_in, self._tls_out = ssl.MemoryBIO(), ssl.MemoryBIO()
            self._tls = tls.context(server=not initiator).wrap_bio(
                self._tls_in, self._tls_out, server_side=not initiator)
            self._tls_lock = threading.Lock()
            # decrypted records land here: asked to read more than this, the
            # SSLObject allocates that much for every record (a 256 KiB read
            # of a 120-byte record cost 19 us; into this buffer, 2 us)
            self._tls_plain = bytearray(_TLS_RECORD)
            self._tls_ready = False
            self._tls_waiting: list[bytes] = []  # written before TLS was up
            if initiator:
                with self._tls_lock:
                    self._tls_step()  # the ClientHello
        if initiator:
            self._write(framing.encode_raw(self._hs.start()))

    # -- TLS -----------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        """Bytes onto the wire, through TLS when there is TLS."""
        tls = self._tls
        if tls is None:
            self._out.put(data)
            return
        with self._tls_lock:
            if not self._tls_ready:
                self._tls_waiting.append(data)
                return
            tls.write(data)
            self._tls_flush()

    def _tls_flush(self) -> None:
        if self._tls_out.pending:
            self._out.put(self._tls_out.read())

    def _tls_step(self) -> None:
        """Move the TLS handshake on (with the TLS lock held)."""
        assert self._tls is not None
        try:
            self._tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as exc:
            self._tls_flush_quietly()  # the alert tells the peer why
            raise AuthError(f"authentication failed: TLS: {exc.reason or exc}", denied=True) from None
        else:
            self._tls_ready = True
            for data in self._tls_waiting:
                self._tls.write(data)
            self._tls_waiting.clear()
        self._tls_flush()

    def _tls_flush_quietly(self) -> None:
        try:
            self._tls_flush()
        except OSError:
            pass

    def _feed(self, data: bytes | memoryview) -> None:
        """Raw bytes read from the socket: decrypted into the read buffer."""
        tls = self._tls
        assert tls is not None
        with self._tls_lock:
            self._tls_in.write(data)
            if not self._tls_ready:
                self._tls_step()
                if not self._tls_ready:
                    return
            try:
                # until the input is used up; an exception per read would cost more
                # than the read. A read takes a whole record (at most 16 KiB of
                # plaintext), so none is left inside the TLS object (no pending()).
                plain = self._tls_plain
                while True:
                    # with a buffer, read() returns a count (typeshed says bytes)
                    got: int = tls.read(_TLS_RECORD, plain)  # type: ignore[assignment]
                    self._buf += memoryview(plain)[:got]
                    if not got or not self._tls_in.pending:
                        break
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                self.eof = True
            except ssl.SSLError as exc:
                raise AuthError(f"authentication failed: TLS: {exc.reason or exc}", denied=True) from None
            if self._tls_out.pending:  # TLS 1.3 may answer what it read (key updates)
                self._tls_flush_quietly()

    @property
    def authenticated(self) -> bool:
        return self._hs is None

    # -- writing -------------------------------------------------------------
    def put(self, envelope: tuple[str, str, bytes]) -> None:
        with self._seal_lock:
            if self.closed:
                raise BrokenPipeError("connection closed")
            if self._hs is not None:
                self._held.append(envelope)
                return
            if self._tls is None:
                assert self._sealer is not None  # set when the handshake completed (_hs None)
                self._out.put(framing.encode_sealed(*envelope, self._sealer))
            else:
                self._write(framing.encode(*envelope))

    def _try_send(self, frame: bytes) -> int:
        try:
            return self.sock.send(frame, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0

    @property
    def broken(self) -> bool:
        return self._out.broken

    def peer_gone(self) -> bool:
        """For a connection we only send on: has the peer closed it (its process died)?"""
        if self.eof or self.broken:
            return True
        # poll(0) costs under 1 us where a failing recv costs ~4 us (the exception)
        if self._watch is None:
            self._watch = select.poll()
            self._watch.register(self.fd, select.POLLIN)
        if not self._watch.poll(0):
            return False
        try:
            data = self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        return data == b""

    def backlog(self) -> int:
        return self._out.backlog()

    def join_backlog(self, group: set[Outbox]) -> None:
        """Count what waits here in the endpoint's ``group`` (Outbox.waiting_in)."""
        self._out.join(group)

    def flush(self, timeout: float) -> bool:
        return self._out.flush(timeout)

    def take_pending(self) -> list[tuple[str, str, bytes]]:
        """Whole frames never sent (the peer is gone), decoded for dead letters.
        A frame half sent is lost with the connection."""
        with self._seal_lock:
            out, self._held = self._held, []
        frames = self._out.take()
        if self._tls is not None:
            return out  # what is queued is ciphertext: it cannot be read back
        for frame in frames:
            try:
                out.extend(framing.split(bytearray(frame), self.limit, sealed=True))
            except framing.FrameError:
                pass  # a handshake message, or the unsent rest of a frame
        return out

    # -- the handshake -------------------------------------------------------
    def _handshake(self) -> None:
        """Read and answer handshake messages; the buffer never holds more
        than one message's worth of bytes before the handshake completes."""
        buf = self._buf
        while self._hs is not None:
            try:
                message = framing.take_raw(buf, MAX_MESSAGE)
            except framing.FrameError as exc:
                raise AuthError(f"before authenticating: {exc}") from None
            if message is None:
                if self.eof or not self._recv_some(4 + MAX_MESSAGE - len(buf)):
                    return
                continue
            try:
                reply = self._hs.receive(message)
            except HandshakeError as exc:
                if exc.reply is not None:
                    self._send_raw(exc.reply)
                raise AuthError(str(exc), denied=isinstance(exc, AuthenticationFailed)) from None
            if reply is not None:
                self._send_raw(reply)
            if self._hs.done:
                self._completed(self._hs)  # what follows in the buffer is sealed

    def _recv_some(self, room: int) -> bool:
        """Read at most ``room`` bytes now; whether any came."""
        try:
            data = self.sock.recv(room, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return False
        if self._tls is None:
            self._buf += data
        else:
            self._feed(data)
        return True

    def _send_raw(self, message: bytes) -> None:
        try:
            self._write(framing.encode_raw(message))
        except OSError:
            pass

    def _completed(self, hs: Handshake) -> None:
        with self._seal_lock:
            if self._tls is None:
                self._sealer, self._opener = hs.sealers()
            self._hs = None
            try:
                while self._held:
                    try:
                        envelope = self._held[0]
                        if self._tls is not None:
                            self._write(framing.encode(*envelope))
                        else:
                            assert self._sealer is not None  # set above, with the session
                            self._write(framing.encode_sealed(*envelope, self._sealer))
                    except OSError:
                        return  # the peer is gone: the rest stays for take_pending()
                    del self._held[0]
            finally:
                # only now: a close() waiting for the handshake flushes and
                # closes next, and what was held must be in the outbox by then
                # (an outbox closed first drops it silently)
                self._done.set()

    def abandon(self) -> list[tuple[str, str, bytes]]:
        """Close a connection whose handshake failed and return what waited to
        go on it (send it elsewhere, then call :meth:`settled`); a put from
        now on raises BrokenPipeError."""
        with self._seal_lock:
            self.closed = True
            held, self._held = self._held, []
        self._out.close()
        try:
            self.sock.close()
        except OSError:
            pass
        return held

    def settled(self) -> None:
        """What an abandoned connection held has gone elsewhere."""
        self._done.set()

    def wait_authenticated(self, limit: float) -> bool:
        """Wait until the handshake completed, or the connection was abandoned
        and what it held went elsewhere (:meth:`settled`)."""
        return self._done.wait(limit)

    def authenticate(self, limit: float) -> None:
        """Block until the handshake is done (the connecting side of an actor
        or a program); AuthError or ConnectionError otherwise."""
        deadline = time.monotonic() + limit
        poll = select.poll()
        poll.register(self.fd, select.POLLIN)
        while self._hs is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConnectionError(f"no handshake answer within {limit:g} s")
            poll.poll(min(left, 0.1) * 1000)
            self._handshake()
            if self.eof and self._hs is not None:
                raise ConnectionError("the peer closed the connection during the handshake "
                                      "(if either side uses TLS, both must)")

    # -- reading -------------------------------------------------------------
    def read(self, one: bool = False) -> list[tuple[str, str, bytes]]:
        """Complete envelopes readable now (never blocks). Raises FrameError on
        garbage, AuthError when the peer fails the handshake."""
        if self._hs is not None:
            self._handshake()
            if self._hs is not None:
                return []
        buf = self._buf
        opener = self._opener
        if one and len(buf) >= 4:
            got = framing.split(buf, self.limit, one=True, opener=opener)
            if got:
                return got
        scratch = framing.read_buffer()
        while not self.eof:
            try:
                size = self.sock.recv_into(scratch, _READ, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self.eof = True
                break
            if not size:
                self.eof = True
                break
            if self._tls is None:
                buf += memoryview(scratch)[:size]
            else:
                self._feed(memoryview(scratch)[:size])
            if size < _READ or one:
                break
        return framing.split(buf, self.limit, one=one, opener=opener)

    @property
    def buffered(self) -> bool:
        """Whether a whole frame may already sit in our buffer (read one at a time)."""
        return len(self._buf) >= 4 and self._hs is None

    @property
    def partial(self) -> int:
        """Bytes of an unfinished frame (a truncated frame at EOF)."""
        return len(self._buf)

    def close(self, flush: float = 0.0) -> None:
        if flush > 0:
            self.flush(flush)
        self.closed = True
        self._out.close()
        try:
            self.sock.close()
        except OSError:
            pass
