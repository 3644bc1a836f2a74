"""The UDP admin port: garbage datagrams, truncated fragments, streams without
a hello and floods from one source are dropped and logged (rate-limited)
while the admin keeps serving. The cases past the handshake are sent by a
socket that holds the secret (``Sealed``). (What every base with an Admin
Port does, other programs attaching among it, is tests/test_admin_port.py.)"""
from __future__ import annotations

import os
import socket
import time

import pytest
from sealed import Sealed

from actorbase_udp.wire import DATA, HDR, LAST
from actorcore._core.runtime import framing
from actorcore.actors import Thespian_StatusReq
from actorcore.testing import free_port, running_system
from tests.security.attack import serving

WAIT = 10


@pytest.fixture
def port():
    return free_port(socket.SOCK_DGRAM)


@pytest.fixture
def thesplog(tmp_path, monkeypatch):
    path = tmp_path / "internal.log"
    monkeypatch.setenv("THESPLOG_FILE", str(path))
    monkeypatch.setenv("THESPLOG_FILE_MAXSIZE", str(10 * 1024 * 1024))
    monkeypatch.setenv("THESPLOG_THRESHOLD", "INFO")
    return path


@pytest.fixture
def usys(port, thesplog, monkeypatch):
    monkeypatch.setenv("ACTORCORE_UDP_HELLO_SECONDS", "1")
    with running_system("multiprocUDPBase", {"Admin Port": port}) as system:
        yield system


def _datagrams(port: int, payloads) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for p in payloads:
            sock.sendto(p, ("127.0.0.1", port))


def _data(seq: int, payload: bytes, last: bool = True, stream: int = 7) -> bytes:
    return HDR.pack(b"AcU2", DATA, LAST if last else 0, stream, seq, 0, 0) + payload


def _log_lines(path, needle: str, limit: float = WAIT) -> list[str]:
    """Lines of the internal log holding ``needle`` (waits, bounded, for the first)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            lines = [ln for ln in path.read_text().splitlines() if needle in ln]
        except FileNotFoundError:
            lines = []
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_garbage_datagrams_are_dropped_and_logged(usys, port, thesplog):
    _datagrams(port, [os.urandom(64), b"", b"x" * 30, os.urandom(2000)])
    assert serving(usys)
    assert _log_lines(thesplog, "not actorcore UDP")


def test_a_stream_that_does_not_start_with_a_hello_is_dropped(usys, port, thesplog):
    frame = framing.encode("whoever", "me", b"not a hello")
    with Sealed(port) as peer:
        peer.data(0, frame)
    assert serving(usys)
    assert _log_lines(thesplog, "did not start with a hello")


def test_truncated_fragments_are_dropped(usys, port, thesplog):
    frame = framing.encode("", "hello", b"actor\nno-secret\nU0/1\n" + b"y" * 200)
    # a set whose pieces do not add up to the length the frame announces
    with Sealed(port) as peer:
        peer.data(0, frame[:50], last=False)
        peer.data(1, frame[50:120], last=True)
    assert serving(usys)
    assert _log_lines(thesplog, "length does not match")


def test_an_incomplete_set_of_fragments_is_discarded_after_the_hello_limit(usys, port, thesplog):
    with Sealed(port) as peer:
        peer.data(0, b"\x00\x01\x00\x00" + b"z" * 100, last=False, stream=9)
    assert _log_lines(thesplog, "incomplete message discarded")  # ACTORCORE_UDP_HELLO_SECONDS=1
    assert serving(usys)


def test_a_flood_from_one_source_is_dropped_and_logged_a_few_times_only(usys, port, thesplog):
    garbage = [os.urandom(100) for _ in range(3000)]
    ahead = [_data(5000 + i, b"q" * 1000, stream=11) for i in range(1000)]
    _datagrams(port, garbage + ahead)
    assert serving(usys)
    lines = _log_lines(thesplog, "not actorcore UDP")
    assert 1 <= len(lines) <= 10, lines  # rate-limited: one line per 5 s, with a count
    status = usys.ask(usys.systemAddress, Thespian_StatusReq(), WAIT)
    admin = status.miscKeyVals["pid"]
    with open(f"/proc/{admin}/status") as fh:
        rss_kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS"))
    assert rss_kb < 200_000  # the flood was not kept


def test_default_admin_port_is_1029():
    from actorcore._core import plugins

    info = plugins.registry().get("multiprocUDPBase")
    assert info is not None and info.capabilities["Admin Port"] == 1029


def test_capabilities_of_the_base(usys):
    caps = usys.ask(usys.systemAddress, Thespian_StatusReq(), WAIT).capabilities
    assert caps["Thespian ActorSystem Name"] == "multiprocUDPBase"
    assert caps["Thespian ActorSystem Version"] == 1
    assert caps["Thespian Watch Supported"] is False
