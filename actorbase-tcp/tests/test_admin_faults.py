"""A fault of the admin's own code on one connection (an exception nobody
expected while reading it) drops that connection, logged with its
traceback; the admin's transport goes on serving every other connection
instead of ending the admin, and the system with it."""
from __future__ import annotations

import logging
import socket
import time

import pytest

from actorbase_tcp.admin import AdminTcpTransport
from actorbase_tcp.conn import Conn
from actorbase_tcp.control import listener
from actorcore.plugin import framing

KEY = b"k" * 32
WAIT = 10.0


@pytest.fixture
def admin(monkeypatch):
    monkeypatch.setenv("ACTORCORE_TCP_UNIX", "0")  # one listener: the port
    t = AdminTcpTransport(listener("127.0.0.1", 0), "127.0.0.1:0", "token", framing.DEFAULT_MAX, KEY)
    yield t
    t.close()


def _connect(t: AdminTcpTransport) -> tuple[socket.socket, Conn]:
    """A raw client connection, accepted by the transport."""
    sock = socket.create_connection((t.host, t.port), timeout=WAIT)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        t.receive(0.05)
        for conn in t.by_fd.values():
            if conn.sock.getpeername() == sock.getsockname():
                return sock, conn
    pytest.fail("the admin never accepted the connection")


def _closed(sock: socket.socket, t: AdminTcpTransport) -> bool:
    sock.settimeout(0.05)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        t.receive(0.05)
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False


def test_an_internal_error_on_one_connection_drops_only_that_one(admin, caplog):
    faulty_sock, faulty = _connect(admin)
    other_sock, other = _connect(admin)

    def broken_read(one: bool = False) -> list:
        raise RuntimeError("a bug while reading")

    faulty.read = broken_read  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="actorcore.tcp"):
        faulty_sock.sendall(b"\x00\x00\x00\x01x")  # readable: the admin reads it
        assert _closed(faulty_sock, admin), "the faulty connection was not dropped"
    assert "a bug while reading" in caplog.text and "Traceback" in caplog.text
    assert faulty.fd not in admin.by_fd
    assert other.fd in admin.by_fd and not other.closed
    # and a new connection is still accepted
    new_sock, new = _connect(admin)
    assert new.fd in admin.by_fd
    for s in (faulty_sock, other_sock, new_sock):
        s.close()


def test_an_internal_error_while_accepting_leaves_the_listener_serving(admin, caplog, monkeypatch):
    calls = []
    accept = AdminTcpTransport._accept

    def flaky_accept(self, listening):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug while accepting")
        return accept(self, listening)

    monkeypatch.setattr(AdminTcpTransport, "_accept", flaky_accept)
    with caplog.at_level(logging.ERROR, logger="actorcore.tcp"):
        sock, conn = _connect(admin)  # the first look fails; the next accepts
    assert "a bug while accepting" in caplog.text
    assert conn.fd in admin.by_fd
    sock.close()
