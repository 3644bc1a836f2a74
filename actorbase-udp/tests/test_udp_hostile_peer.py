"""Attacks on a UDP system by a peer that does not hold the secret, or spoofs
the address of one that does (docs/api.md §9.4, issue 10).

The outside attacker is ``tests/security/hostile_udp.py``: plain standard
library, run with ``-I -S`` so it cannot import actorcore. Every pickle it
sends would create a marker file when unpickled; each case asserts that the
file does not exist, that the refusal was logged (and the secret was not),
and that the system still answers. Spoofing is done from the attached
client's own socket: datagrams that come from an authenticated address but
carry no valid MAC.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from actorbase_udp.wire import DATA, HDR, LAST, MAGIC, NAK
from actorcore.actors import ActorSystem, ActorSystemStartupFailure, Thespian_StatusReq
from actorcore.testing import descendants, free_port, until, wait_no_descendants
from tests.actors.basic import Collector, Echo, PidCollector
from tests.helpers import GET, socket_inodes
from tests.security.attack import SECRET, guarded_system, logged, run_hostile, serving, squatting

WAIT = 10


def hostile(**cmd) -> dict:
    return run_hostile("hostile_udp.py", **cmd)


@pytest.fixture
def usys(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTORCORE_UDP_HELLO_SECONDS", "1")
    with guarded_system("multiprocUDPBase", free_port(socket.SOCK_DGRAM), tmp_path / "admin.log") as system:
        yield system


def _counters(system) -> dict:
    return system.ask(system.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["transport"]


@pytest.mark.parametrize("mode", ["old-client-hello", "old-actor-hello", "pickle-after-hello"])
@pytest.mark.parametrize("aim", ["admin", "actor"])
def test_raw_datagrams_without_the_handshake_are_never_unpickled(usys, tmp_path, mode, aim):
    actor = usys.createActor(Echo)
    target = usys.systemAddress if aim == "admin" else actor
    marker = tmp_path / "pwned"
    hostile(mode=mode, port=usys.port, marker=str(marker), target=target.addressDetails)
    assert logged(usys.logfile, "it has not authenticated")
    assert _counters(usys)["dropped_unauthenticated"] >= 2
    assert not marker.exists()
    assert serving(usys)


def test_raw_datagrams_sent_to_an_actors_own_socket_are_never_unpickled(usys, tmp_path):
    """An actor's socket is reachable too: straight to it, the old format and
    a made-up MAC unpickle nothing there either."""
    collector = usys.createActor(PidCollector)
    usys.tell(collector, "one")
    assert len(usys.ask(collector, GET, WAIT)) == 1
    key = collector.addressDetails
    port = _udp_port_of(usys.ask(collector, ("pid?",), WAIT))
    marker = tmp_path / "pwned"
    for mode in ("old-client-hello", "pickle-after-hello"):
        hostile(mode=mode, port=port, marker=str(marker), target=key)
    assert not marker.exists()
    assert len(usys.ask(collector, GET, WAIT)) == 1


def _udp_port_of(pid: int) -> int:
    """The port of a process's (only) UDP socket, read from /proc."""
    inodes = socket_inodes(pid)
    with open("/proc/net/udp") as fh:
        for line in fh.readlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                return int(fields[1].split(":")[1], 16)
    raise AssertionError(f"process {pid} has no UDP socket")


def test_a_wrong_secret_is_refused_and_told_so(usys, tmp_path):
    marker = tmp_path / "pwned"
    got = hostile(mode="wrong-secret", port=usys.port, marker=str(marker),
                  target=usys.systemAddress.addressDetails)
    assert got["challenged"]
    assert "authentication failed" in (got["answer"] or "")
    assert logged(usys.logfile, "authentication failed")
    assert _counters(usys)["handshakes_refused"] >= 1
    assert not marker.exists()
    assert serving(usys)


def test_handshakes_that_never_complete_are_capped_and_expire(usys):
    got = hostile(mode="hello-flood", port=usys.port, count=200)
    assert 0 < got["challenged"] <= 128
    assert logged(usys.logfile, "handshakes are not completed yet")
    assert logged(usys.logfile, "not completed within 1 s")  # ACTORCORE_UDP_HELLO_SECONDS=1
    assert serving(usys)


def test_a_handshake_message_over_4_kib_is_dropped(usys):
    hostile(mode="oversize-handshake", port=usys.port)
    assert logged(usys.logfile, "not an actorcore handshake message")
    assert serving(usys)


def _spoof(system, datagram: bytes) -> None:
    """Send ``datagram`` from the attached client's own socket: to the admin
    it comes from an authenticated address, as a spoofed one would."""
    transport = system._base.transport
    transport.ep.sock.sendto(datagram, transport.admin)


def test_a_datagram_with_a_bad_mac_is_dropped_and_counted(usys):
    from actorcore._core.runtime import framing
    from actorcore._core.runtime.wire import dumps

    collector = usys.createActor(Collector)
    before = _counters(usys)["dropped_bad_mac"]
    chan = usys._base.transport.ep.channels[usys._base.transport.admin]
    frame = framing.encode(collector.addressDetails, usys._base.transport.client_prefix + "0",
                           dumps("forged"))
    # the next datagram of the client's own stream, with a made-up MAC
    head = HDR.pack(MAGIC, DATA, LAST, chan.stream, chan.next_seq, 0, 0)
    _spoof(usys, head + frame + os.urandom(16))
    assert until(lambda: _counters(usys)["dropped_bad_mac"] > before, WAIT)
    assert logged(usys.logfile, "whose MAC does not verify")
    assert usys.ask(collector, GET, WAIT) == []
    assert serving(usys)


def test_a_spoofed_stream_reset_is_dropped_and_counted(usys):
    """A NAK (restart your stream) and a new stream at seq 0 from the client's
    address, without the session's MAC: both dropped and counted, and the
    client's streams carry on in order."""
    collector = usys.createActor(Collector)
    for i in range(3):
        usys.tell(collector, f"before {i}")
    assert len(usys.ask(collector, GET, WAIT)) == 3
    before = _counters(usys)["dropped_bad_mac"]
    admin_chan = usys._base.transport.ep.channels[usys._base.transport.admin]
    _spoof(usys, HDR.pack(MAGIC, NAK, 0, 0, 0, 0, admin_chan.in_stream) + os.urandom(16))
    _spoof(usys, HDR.pack(MAGIC, DATA, LAST, admin_chan.stream + 1, 0, 0, 0) + b"x" * 20 + os.urandom(16))
    assert until(lambda: _counters(usys)["dropped_bad_mac"] >= before + 2, WAIT)
    for i in range(3):
        usys.tell(collector, f"after {i}")
    assert len(usys.ask(collector, GET, WAIT)) == 6
    assert serving(usys)


def test_a_replayed_datagram_is_dropped_and_counted(usys, tmp_path):
    """A datagram the client really sent (a tell), sent again from the
    client's address and from another: delivered once only."""
    collector = usys.createActor(Collector)
    transport = usys._base.transport
    ep = transport.ep
    sent: list[bytes] = []
    original = ep._sendto

    def record(datagram, where):
        if where == transport.admin and datagram[4] == DATA:
            sent.append(datagram)
        original(datagram, where)

    ep._sendto = record
    try:
        usys.tell(collector, "once")
        assert len(usys.ask(collector, GET, WAIT)) == 1
    finally:
        ep._sendto = original
    tell = next(d for d in sent if b"once" in d)
    counters = _counters(usys)
    for _ in range(3):
        _spoof(usys, tell)
    hostile(mode="replay", port=usys.port, datagrams=[tell.hex()])
    assert until(lambda: _counters(usys)["duplicates"] >= counters["duplicates"] + 3, WAIT)
    assert until(lambda: _counters(usys)["dropped_unauthenticated"] > counters["dropped_unauthenticated"], WAIT)
    assert len(usys.ask(collector, GET, WAIT)) == 1


def test_a_squatter_on_the_admin_port_feeds_the_client_nothing(tmp_path):
    """Something that is not our admin holds the Admin Port, answers the probe
    as an admin would, and everything else with pickles and a made-up
    challenge: the client fails to start, unpickling nothing."""
    port = free_port(socket.SOCK_DGRAM)
    marker = tmp_path / "pwned"
    before = descendants()
    with squatting("hostile_udp.py", port, marker):
        with pytest.raises(ActorSystemStartupFailure, match="authentication failed"):
            ActorSystem("multiprocUDPBase", {"Admin Port": port}, logDefs=False, transientUnique=True)
    assert not marker.exists()
    assert not wait_no_descendants(before)


def test_an_admin_on_every_interface_with_a_secret_starts_and_serves(monkeypatch, tmp_path):
    monkeypatch.setenv("THESPIAN_BASE_IPADDR", "0.0.0.0")
    with guarded_system("multiprocUDPBase", free_port(socket.SOCK_DGRAM), tmp_path / "admin.log") as system:
        assert serving(system)
        # and a second program attaches to it
        code = (
            "from actorcore.actors import ActorSystem\n"
            f"a = ActorSystem('multiprocUDPBase', {{'Admin Port': {system.port}}}, logDefs=False, transientUnique=True)\n"
            "from tests.actors.basic import Echo\n"
            "print(a.ask(a.createActor(Echo), 'from another program', 10))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "ACTORCORE_SECRET": SECRET})
        assert out.stdout.strip() == "from another program", out.stderr


def test_an_admin_on_every_interface_without_an_explicit_secret_does_not_start(monkeypatch):
    monkeypatch.setenv("THESPIAN_BASE_IPADDR", "0.0.0.0")
    monkeypatch.delenv("ACTORCORE_SECRET", raising=False)
    before = descendants()
    with pytest.raises(ActorSystemStartupFailure, match="Convention Secret"):
        ActorSystem("multiprocUDPBase", {"Admin Port": free_port(socket.SOCK_DGRAM)},
                    logDefs=False, transientUnique=True)
    assert not wait_no_descendants(before)


def test_a_start_up_that_fails_after_the_admin_started_leaves_no_process(monkeypatch):
    """The admin (and its spare) are up, but this program cannot attach: it
    says so, and stops what it started."""
    from actorbase_udp.transport import ClientUdpTransport

    real = ClientUdpTransport.try_attach

    def fails_once_started(self, wait: float = 0.0) -> str:
        if wait:  # the attach after starting an admin
            raise ConnectionError("made to fail by the test")
        return real(self, wait)

    monkeypatch.setattr(ClientUdpTransport, "try_attach", fails_once_started)
    before = descendants()
    with pytest.raises(ActorSystemStartupFailure, match="made to fail by the test"):
        ActorSystem("multiprocUDPBase", {"Admin Port": free_port(socket.SOCK_DGRAM)},
                    logDefs=False, transientUnique=True)
    assert not wait_no_descendants(before)


def test_a_start_up_that_fails_before_the_admin_has_its_own_group_leaves_no_process(monkeypatch):
    """The detached admin makes its own process group (setsid) a moment after
    this program learns its pid: a start-up that fails in that moment must
    still stop the admin, and the spare it forks once it has its group."""
    from actorbase_udp.transport import ClientUdpTransport

    real_setsid, real_attach = os.setsid, ClientUdpTransport.try_attach

    def late_setsid() -> int:  # runs in the forked admin, which inherits the patch
        time.sleep(0.3)
        return real_setsid()

    def fails_once_started(self, wait: float = 0.0) -> str:
        if wait:
            raise ConnectionError("made to fail by the test")
        return real_attach(self, wait)

    monkeypatch.setattr(os, "setsid", late_setsid)
    monkeypatch.setattr(ClientUdpTransport, "try_attach", fails_once_started)
    before = descendants()
    with pytest.raises(ActorSystemStartupFailure, match="made to fail by the test"):
        ActorSystem("multiprocUDPBase", {"Admin Port": free_port(socket.SOCK_DGRAM),
                                         "Process Startup Method": "fork"},
                    logDefs=False, transientUnique=True)
    assert not wait_no_descendants(before)


def test_what_a_direct_peer_never_took_goes_through_the_admin(usys, tmp_path):
    """A program's direct link to an actor that cannot answer the handshake
    (stopped) fails at the deadline: what waited on it goes through the admin,
    which delivers it once the actor runs again. Nothing is lost."""
    import signal

    collector = usys.createActor(PidCollector)
    pidfile = tmp_path / "pid"
    usys.tell(collector, ("pid to", str(pidfile)))  # through the admin, which introduces us
    assert until(lambda: pidfile.exists() and pidfile.read_text())
    pid = int(pidfile.read_text())
    usys.ask(usys.systemAddress, Thespian_StatusReq(), WAIT)  # we read the introduction
    transport = usys._base.transport
    assert until(lambda: process_key_in(transport.direct, collector), WAIT)
    stats = transport.ep.stats
    refused = stats["handshakes_refused"]
    os.kill(pid, signal.SIGSTOP)
    try:
        for n in range(3):
            usys.tell(collector, f"direct-{n}")  # held for a handshake nobody answers
        until(lambda: stats["handshakes_refused"] > refused, WAIT)  # the 1 s deadline passed
    finally:
        os.kill(pid, signal.SIGCONT)
    assert until(lambda: len(usys.ask(collector, GET, WAIT)) == 3, WAIT)


def process_key_in(direct: dict, address) -> bool:
    return any(address.addressDetails.startswith(key) for key in direct)
