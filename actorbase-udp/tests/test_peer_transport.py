"""The PeerTransport contract on the UDP admin transport, tested directly: two
admin transports in this process find each other, exchange envelopes (small
and fragmented), notice silence and closing, and report failed connects."""
from __future__ import annotations

import socket
import time

import pytest

from actorbase_udp.transport import AdminUdpTransport, ClientUdpTransport
from actorbase_udp.wire import bind
from actorcore._core.transport import PeerEvent, PeerTransport, SharedClientTransport

WAIT = 10.0
KEY = b"k" * 32  # the handshake key both admins hold


def _admin(name: str, limit: int = 64 * 1024 * 1024) -> AdminUdpTransport:
    return AdminUdpTransport(bind("127.0.0.1", 0), name, "token-" + name, limit, KEY)


@pytest.fixture
def pair(monkeypatch):
    monkeypatch.setenv("ACTORCORE_UDP_PEER_SILENCE", "1.0")
    monkeypatch.setenv("ACTORCORE_UDP_CONNECT_SECONDS", "1.0")
    a, b = _admin("Uaaaaaaaa"), _admin("Ubbbbbbbb")
    try:
        yield a, b
    finally:
        a.ep.close()
        b.ep.close()


def _until(transports, pred, limit: float = WAIT) -> list:
    """Drive every transport until ``pred(collected)`` holds; returns what arrived per transport."""
    got: list[list] = [[] for _ in transports]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not pred(got):
        for i, t in enumerate(transports):
            envs, _ = t.receive(0.01)
            got[i].extend(envs)
    return got


def _events(envs, kind):
    return [e[2].decode() for e in envs if e[0] == "" and e[1] == kind]


def test_the_transports_are_what_the_runtime_takes_them_for(pair):
    """The checks the runtime makes with isinstance: an admin that can join a
    convention, and a client that can attach to an admin on the Admin Port."""
    a, _ = pair
    assert isinstance(a, PeerTransport)
    client = ClientUdpTransport("127.0.0.1", a.port, 64 * 1024, KEY)
    try:
        assert isinstance(client, SharedClientTransport)
        assert not isinstance(client, PeerTransport)
    finally:
        client.ep.close()


def test_peer_events_are_told_by_their_kind(pair):
    a, b = pair
    a.peer_connect(b.listen_address)
    got = _until(pair, lambda g: _events(g[0], "peer-up"))
    (up,) = [e for e in got[0] if e[0] == ""]
    assert up[1] is PeerEvent.UP


def test_connect_gives_peer_up_on_both_sides(pair):
    a, b = pair
    a.peer_connect(b.listen_address)
    got = _until(pair, lambda g: _events(g[0], "peer-up") and _events(g[1], "peer-up"))
    assert _events(got[0], "peer-up") == [f"Ubbbbbbbb\n{b.listen_address}\n{b.listen_address}"]
    assert _events(got[1], "peer-up") == [f"Uaaaaaaaa\n{a.listen_address}\n"]


def test_envelopes_flow_both_ways_in_order_including_fragmented_ones(pair):
    a, b = pair
    a.peer_connect(b.listen_address)
    _until(pair, lambda g: _events(g[0], "peer-up") and _events(g[1], "peer-up"))
    big = bytes(range(256)) * 2000  # 512 000 bytes: several datagrams
    for i in range(50):
        assert a.peer_send("Ubbbbbbbb", ("Ubbbbbbbb/1", "Uaaaaaaaa/2", b"%d" % i))
    assert a.peer_send("Ubbbbbbbb", ("Ubbbbbbbb/1", "Uaaaaaaaa/2", big))
    assert b.peer_send("Uaaaaaaaa", ("Uaaaaaaaa/2", "Ubbbbbbbb/1", b"back"))
    got = _until(pair, lambda g: len([e for e in g[1] if e[0]]) == 51 and any(e[0] for e in g[0]))
    to_b = [e for e in got[1] if e[0]]
    assert [e[2] for e in to_b[:50]] == [b"%d" % i for i in range(50)]
    assert to_b[50] == ("Ubbbbbbbb/1", "Uaaaaaaaa/2", big)
    assert [e for e in got[0] if e[0]] == [("Uaaaaaaaa/2", "Ubbbbbbbb/1", b"back")]


def test_peer_send_to_an_unknown_system_says_so(pair):
    a, _ = pair
    assert a.peer_send("Uffffffff", ("Uffffffff/1", "Uaaaaaaaa", b"x")) is False


def test_connecting_to_a_closed_port_fails(pair):
    a, _ = pair
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        where = "127.0.0.1:%d" % s.getsockname()[1]
    a.peer_connect(where)
    got = _until([a], lambda g: _events(g[0], "peer-failed"))
    (failed,) = _events(got[0], "peer-failed")
    assert failed.startswith(where + "\n") and "no answer" in failed


def test_connecting_to_oneself_fails_at_once(pair):
    a, _ = pair
    a.peer_connect(a.listen_address)
    got = _until([a], lambda g: _events(g[0], "peer-failed"), 1.0)
    assert _events(got[0], "peer-failed") == [f"{a.listen_address}\nthat is this admin's own address"]


def test_peer_close_tells_the_other_side(pair):
    a, b = pair
    a.peer_connect(b.listen_address)
    _until(pair, lambda g: _events(g[0], "peer-up") and _events(g[1], "peer-up"))
    a.peer_close("Ubbbbbbbb")
    got = _until(pair, lambda g: _events(g[1], "peer-down"))
    assert _events(got[1], "peer-down") == ["Uaaaaaaaa"]
    assert _events(got[0], "peer-down") == []  # peer_close: no event for the closer
    assert a.peer_send("Ubbbbbbbb", ("Ubbbbbbbb/1", "Uaaaaaaaa", b"x")) is False


def test_silence_means_peer_down(pair):
    a, b = pair
    a.peer_connect(b.listen_address)
    _until(pair, lambda g: _events(g[0], "peer-up") and _events(g[1], "peer-up"))
    b.ep.close()  # b vanishes without a word
    got = _until([a], lambda g: _events(g[0], "peer-down"))
    assert _events(got[0], "peer-down") == ["Ubbbbbbbb"]


def test_keepalives_hold_an_idle_connection_up(pair):
    a, b = pair
    a.peer_connect(b.listen_address)
    _until(pair, lambda g: _events(g[0], "peer-up") and _events(g[1], "peer-up"))
    got = _until(pair, lambda g: False, 2.5)  # over twice the 1 s silence limit
    assert not _events(got[0], "peer-down") and not _events(got[1], "peer-down")
    assert a.peer_send("Ubbbbbbbb", ("Ubbbbbbbb/1", "Uaaaaaaaa", b"still"))
    got = _until(pair, lambda g: any(e[0] for e in g[1]))
    assert [e[2] for e in got[1] if e[0]] == [b"still"]


def test_a_message_over_the_size_limit_is_not_sent(monkeypatch):
    a, b = _admin("Uaaaaaaaa", limit=10_000), _admin("Ubbbbbbbb", limit=10_000)
    try:
        a.peer_connect(b.listen_address)
        _until([a, b], lambda g: _events(g[0], "peer-up") and _events(g[1], "peer-up"))
        a.peer_send("Ubbbbbbbb", ("Ubbbbbbbb/1", "Uaaaaaaaa", b"x" * 20_000))
        a.peer_send("Ubbbbbbbb", ("Ubbbbbbbb/1", "Uaaaaaaaa", b"small"))
        got = _until([a, b], lambda g: any(e[0] for e in g[1]))
        assert [e[2] for e in got[1] if e[0]] == [b"small"]
        assert a.stats["dropped_oversize"] == 1
    finally:
        a.ep.close()
        b.ep.close()


def test_a_peer_with_another_secret_is_refused_and_told_so(monkeypatch):
    monkeypatch.setenv("ACTORCORE_UDP_CONNECT_SECONDS", "5.0")
    a = _admin("Uaaaaaaaa")
    b = AdminUdpTransport(bind("127.0.0.1", 0), "Ubbbbbbbb", "token-b", 64 * 1024 * 1024, b"x" * 32)
    try:
        a.peer_connect(b.listen_address)
        got = _until((a, b), lambda g: _events(g[0], "peer-failed"))
        failed = _events(got[0], "peer-failed")
        assert failed and "authentication failed" in failed[0]
        assert not _events(got[1], "peer-up")
        assert b.ep.stats["handshakes_refused"] == 1
        assert "Uaaaaaaaa" not in b.peers
    finally:
        a.ep.close()
        b.ep.close()
