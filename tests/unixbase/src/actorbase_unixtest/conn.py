"""Conn: one end of a Unix stream socket, carrying framed envelopes both ways.

Frames are the core's (:mod:`actorcore.plugin.framing`). Writing never blocks
the caller: an :class:`~actorcore.plugin.Outbox` sends what the socket takes
now and hands the rest, in order, to a flusher thread. Reading never blocks
either, and keeps a partial frame for the next call, so a writer killed in
mid-frame cannot hang a reader. The socket itself stays in blocking mode
(the flusher's ``sendall`` waits); every other call passes ``MSG_DONTWAIT``.

Knows bytes and sockets, never actors.
"""
from __future__ import annotations

import socket

from actorcore.plugin import Envelope, Outbox, framing

_NOW = socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL
# Peers are proven processes of this system (see admin.py), as with the queue
# base's pipes: no Max Message Size, a frame may be as long as its header says.
ANY_SIZE = 0xFFFFFFFF
HELLO_MAX = 1024  # a hello is a name and a token


class Conn:
    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(True)
        self.sock = sock
        self.fd = sock.fileno()
        self.buf = bytearray()
        self.eof = False
        self.fds: list[int] = []  # descriptors the peer sent with its hello
        self.out = Outbox(self._send_now, self._send_all, "actorcore-unix")

    # -- writing -------------------------------------------------------------
    def put(self, envelope: Envelope) -> None:
        """Queue ``envelope``; an OSError once the peer is known to be gone."""
        self.out.put(framing.encode(*envelope))

    def _send_now(self, frame: bytes) -> int:
        try:
            return self.sock.send(frame, _NOW)
        except BlockingIOError:
            return 0

    def _send_all(self, frame: bytes) -> None:
        self.sock.sendall(frame, socket.MSG_NOSIGNAL)

    def hello(self, text: str, fds: list[int]) -> None:
        """The first frame on a new connection: who we are, our proof, and
        (``fds``) descriptors for the admin to hold."""
        socket.send_fds(self.sock, [framing.encode_raw(text.encode())], fds)

    def unsent(self) -> bytes:
        """What was queued and never written (it continues what the socket
        holds: the first frame may be the rest of a partly written one);
        closes the outbox."""
        return b"".join(self.out.take())

    # -- reading -------------------------------------------------------------
    def read_hello(self) -> str | None:
        """The hello, once all of it is here (None before; the descriptors
        that came with it are in ``fds``). Reads nothing past its end.
        FrameError for a hello longer than HELLO_MAX bytes."""
        while True:
            raw = framing.take_raw(self.buf, HELLO_MAX)
            if raw is not None:
                return raw.decode("utf-8", "replace")
            try:
                data, fds, _flags, _addr = socket.recv_fds(self.sock, _missing(self.buf), 4, _NOW)
            except BlockingIOError:
                return None
            except OSError:
                data, fds = b"", []
            self.fds += fds
            if not data:
                self.eof = True
                return None
            self.buf += data

    def read(self, one: bool = False) -> list[Envelope]:
        """Every complete envelope readable now; with ``one``, at most one, and
        nothing read past its end (what is not taken stays in the socket)."""
        if one:
            return self._read_one()
        buf = self.buf
        scratch = framing.read_buffer()
        while True:
            try:
                got = self.sock.recv_into(scratch, len(scratch), _NOW)
            except BlockingIOError:
                break
            except OSError:
                got = 0
            if not got:
                self.eof = True
                break
            buf += memoryview(scratch)[:got]
            if got < len(scratch):
                break
        return self._split()

    def _read_one(self) -> list[Envelope]:
        buf = self.buf
        while True:
            need = _missing(buf)
            if need <= 0:
                return self._split(one=True)
            try:
                chunk = self.sock.recv(need, _NOW)
            except BlockingIOError:
                return []
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                return []
            buf += chunk

    def _split(self, one: bool = False) -> list[Envelope]:
        try:
            return framing.split(self.buf, ANY_SIZE, one=one)
        except framing.FrameError:  # only our own processes write here: never hang on it
            self.buf.clear()
            self.eof = True
            return []

    def close(self) -> None:
        self.out.close()
        self.sock.close()


def _missing(buf: bytearray) -> int:
    """Bytes still to read before ``buf`` holds one whole frame."""
    if len(buf) < 4:
        return 4 - len(buf)
    return 4 + framing.LEN.unpack_from(buf)[0] - len(buf)


def split(data: bytes) -> list[Envelope]:
    """The complete envelopes in ``data``, a stream a dead process never read."""
    try:
        return framing.split(bytearray(data), ANY_SIZE)
    except framing.FrameError:  # it died in mid-frame: what follows cannot be told apart
        return []


def drain(sock: socket.socket) -> bytes:
    """Everything readable on ``sock`` now."""
    out = bytearray()
    while True:
        try:
            chunk = sock.recv(framing.READ_SIZE, _NOW)
        except OSError:
            return bytes(out)
        if not chunk:
            return bytes(out)
        out += chunk
