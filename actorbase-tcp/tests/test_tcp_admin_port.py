"""The TCP admin port: bad bytes sent to it are dropped while the admin keeps
serving, and a port something else holds is named with what holds it. (What
every base with an Admin Port does, other programs attaching among it, is
tests/test_admin_port.py.)"""
from __future__ import annotations

import os
import socket
import struct

import pytest

from actorcore.actors import ActorSystem, ActorSystemStartupFailure
from actorcore.testing import free_port, running_system
from tests.security.attack import serving

WAIT = 10


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def tsys(port, monkeypatch):
    monkeypatch.setenv("ACTORCORE_TCP_HELLO_SECONDS", "1")
    with running_system("multiprocTCPBase", {"Admin Port": port}) as system:
        yield system


def _raw(port: int, payload: bytes, close: bool = True) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(payload)
    if close:
        sock.close()
    return sock


def _closed_by_peer(sock: socket.socket, limit: float = WAIT) -> bool:
    sock.settimeout(limit)
    try:
        while sock.recv(4096):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_garbage_bytes_are_dropped(tsys, port):
    sock = _raw(port, os.urandom(64) + b"\x00" * 64, close=False)
    assert _closed_by_peer(sock)
    assert serving(tsys)


def test_a_huge_length_prefix_is_refused_without_waiting_for_it(tsys, port):
    sock = _raw(port, struct.pack("!I", 0xFFFFFFF0) + b"xx", close=False)
    assert _closed_by_peer(sock)
    assert serving(tsys)


def test_a_truncated_frame_is_dropped(tsys, port):
    _raw(port, struct.pack("!IHH", 100, 0, 5) + b"hello")
    assert serving(tsys)


def test_a_connection_that_says_nothing_is_closed(tsys, port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert _closed_by_peer(sock)  # after ACTORCORE_TCP_HELLO_SECONDS
    assert serving(tsys)


def test_capabilities_of_the_base(tsys):
    caps = tsys.capabilities
    assert caps["Thespian ActorSystem Name"] == "multiprocTCPBase"
    assert caps["Thespian ActorSystem Version"] == 2
    assert caps["Thespian Watch Supported"] is True


@pytest.mark.parametrize("listening, said", [
    (True, "{port}.*not an actorcore TCP admin.*pid {pid}"),
    (False, "{port} is already in use; pick another"),  # bound only: a connect is refused, the bind fails
])
def test_a_port_held_by_something_else_says_what_holds_it(listening, said):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    if listening:
        holder.listen(1)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(ActorSystemStartupFailure, match=said.format(port=port, pid=os.getpid())):
            ActorSystem("multiprocTCPBase", {"Admin Port": port}, logDefs=False,
                        transientUnique=True)
    finally:
        holder.close()
