"""A process that closes its transport right after sending on a direct
connection still opening (an actor replying, then exiting): what it sent
reaches the peer. The handshake of a direct connection completes on a helper
thread, which then moves what was held meanwhile into the outbox; close()
must wait for that move, not only for the handshake."""
from __future__ import annotations

import select
import socket
import threading

import pytest

from actorbase_tcp.conn import Conn
from actorbase_tcp.endpoint import EndpointTcpTransport
from actorcore.plugin import framing, parse_hello

KEY = b"k" * 32  # the handshake key
WAIT = 10.0
PEER = "T0/2"


def _read_all(sock: socket.socket, got: list, done: threading.Event) -> None:
    """The peer: authenticate, then read every envelope until EOF."""
    conn = Conn(sock, KEY, initiator=False)
    try:
        while not conn.eof:
            if not select.select([conn.fd], [], [], WAIT)[0]:
                got.append(("error", "nothing more and no EOF", b""))
                break
            got.extend(conn.read())
    except (framing.FrameError, OSError) as exc:
        got.append(("error", str(exc), b""))
    finally:
        conn.close()
        done.set()


@pytest.fixture
def peer():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    got: list = []
    done = threading.Event()

    def serve():
        sock, _ = srv.accept()
        _read_all(sock, got, done)

    threading.Thread(target=serve, daemon=True).start()
    yield "127.0.0.1:%d" % srv.getsockname()[1], got, done
    srv.close()


def test_what_was_held_during_the_handshake_is_flushed_before_close(peer, monkeypatch):
    where, got, done = peer
    held_write = threading.Event()  # the helper thread is moving held envelopes
    release = threading.Event()
    write = Conn._write

    def gated(self: Conn, data: bytes) -> None:
        # the first write of what was held, on the direct connection only
        if self.peer == PEER and self.authenticated and not held_write.is_set():
            held_write.set()
            release.wait(WAIT)
        write(self, data)

    monkeypatch.setattr(Conn, "_write", gated)
    t = EndpointTcpTransport("T0/1", "127.0.0.1", framing.DEFAULT_MAX, KEY)
    link_end, admin_end = socket.socketpair()
    t.link = Conn(link_end, KEY, initiator=True, peer="admin")  # never answered: holds the marker
    t.opening[PEER] = where
    t.send(PEER, (PEER, "T0/1", b"one"))
    t.send(PEER, (PEER, "T0/1", b"two"))
    assert held_write.wait(WAIT), "the direct connection never authenticated"
    closing = threading.Thread(target=t.close, daemon=True)
    closing.start()
    closing.join(0.3)  # room for a close() that does not wait to run to its end
    release.set()
    closing.join(WAIT)
    assert not closing.is_alive()
    assert done.wait(WAIT)
    admin_end.close()
    assert got and parse_hello(got[0]) is not None, got
    assert [e[2] for e in got[1:]] == [b"one", b"two"]
