"""Attacks on a TCP system by a peer that does not hold the secret (docs/api.md §9.4).

The attacker is ``tests/security/hostile.py``: plain standard library, run
with ``-I -S`` so it cannot import actorcore. Every pickle it sends would
create a marker file when unpickled; each case asserts that the file does
not exist, that the attacker's connection was closed, that the refusal was
logged (and the secret was not), and that the system still answers.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from actorcore.actors import ActorSystem, ActorSystemStartupFailure, Thespian_StatusReq
from actorcore.testing import free_port, until
from tests.actors.basic import Collector, Echo
from tests.helpers import GET
from tests.security.attack import SECRET, guarded_system, logged, run_hostile, serving, squatting

WAIT = 10


def hostile(**cmd) -> dict:
    return run_hostile("hostile.py", **cmd)


@pytest.fixture
def tsys(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTORCORE_TCP_HELLO_SECONDS", "1")
    with guarded_system("multiprocTCPBase", free_port(), tmp_path / "admin.log") as system:
        yield system


@pytest.mark.parametrize("mode", ["pickle-first", "old-client-hello", "old-actor-hello",
                                  "pickle-after-hello"])
@pytest.mark.parametrize("aim", ["admin", "actor", "nobody"])
def test_a_pickle_without_the_handshake_is_never_unpickled(tsys, tmp_path, mode, aim):
    actor = tsys.createActor(Echo)
    target = {"admin": tsys.systemAddress, "actor": actor}.get(aim)
    marker = tmp_path / "pwned"
    got = hostile(mode=mode, port=tsys.port, marker=str(marker),
                  target=target.addressDetails if target is not None else "T0000/404")
    assert got["closed"]
    assert not marker.exists()
    assert logged(tsys.logfile, "admin dropped a connection from 127.0.0.1")
    assert serving(tsys)


def test_a_wrong_secret_is_refused_and_told_so(tsys, tmp_path):
    marker = tmp_path / "pwned"
    got = hostile(mode="wrong-secret", port=tsys.port, marker=str(marker), target=tsys.systemAddress.addressDetails)
    assert got["challenged"]
    assert "authentication failed" in (got["answer"] or "")
    assert got["closed"]
    assert not marker.exists()
    assert logged(tsys.logfile, "authentication failed")
    assert serving(tsys)


def test_a_reflected_tag_is_refused(tsys, tmp_path):
    marker = tmp_path / "pwned"
    got = hostile(mode="reflect", port=tsys.port, marker=str(marker), target=tsys.systemAddress.addressDetails)
    assert got["challenged"] and got["closed"]
    assert "authentication failed" in (got["answer"] or "")
    assert not marker.exists()
    assert serving(tsys)


@pytest.mark.parametrize("mode", ["garbage", "huge-length", "over-4k", "truncated"])
def test_bad_bytes_before_the_handshake_are_dropped(tsys, mode):
    got = hostile(mode=mode, port=tsys.port)
    assert got["closed"]
    said = "closed in the middle of a frame" if mode == "truncated" else "admin dropped a connection from 127.0.0.1"
    assert logged(tsys.logfile, said)
    assert serving(tsys)


class _Recorder:
    """A loopback proxy in front of the admin that keeps what the client sent."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sent = bytearray()
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.listen_port = self.lsock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        client, _ = self.lsock.accept()
        upstream = socket.create_connection(("127.0.0.1", self.port))

        def pump(src, dst, keep):
            try:
                while data := src.recv(65536):
                    if keep:
                        self.sent += data
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()
        pump(client, upstream, True)


def test_a_recorded_handshake_replayed_on_a_new_connection_is_refused(tsys):
    """An eavesdropper replays every byte a real client sent (handshake, hello,
    a tell to a collector): the admin's fresh nonce makes the old proof fail."""
    collector = tsys.createActor(Collector)
    rec = _Recorder(tsys.port)
    code = (
        "import sys\n"
        "from actorcore.actors import ActorSystem\n"
        f"a = ActorSystem('multiprocTCPBase', {{'Admin Port': {rec.listen_port}}}, logDefs=False, transientUnique=True)\n"
        f"from actorcore.actors import ActorAddress\n"
    )
    # the recorded program talks to the admin through the proxy: the proxy's port
    # is not an Admin Port, so it attaches through the proxy to the real admin
    code += (
        "import pickle, base64\n"
        f"addr = pickle.loads(base64.b64decode({_b64(collector)!r}))\n"
        "a.tell(addr, 'recorded')\n"
        "import time; time.sleep(0.5)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "ACTORCORE_SECRET": SECRET})
    assert out.returncode == 0, out.stderr
    assert tsys.ask(collector, GET, WAIT) == ["recorded"]
    assert len(rec.sent) > 100
    got = hostile(mode="replay", port=tsys.port, bytes=bytes(rec.sent).hex())
    assert got["closed"]
    assert logged(tsys.logfile, "authentication failed")
    assert tsys.ask(collector, GET, WAIT) == ["recorded"]  # the replayed tell did not arrive


def _b64(obj) -> str:
    import base64
    import pickle

    return base64.b64encode(pickle.dumps(obj)).decode()


def test_a_squatter_on_the_admin_port_feeds_the_client_nothing(tmp_path):
    """Something that is not our admin holds the Admin Port and answers with a
    pickle: the client fails to start, unpickling nothing."""
    port = free_port()
    marker = tmp_path / "pwned"
    with squatting("hostile.py", port, marker):
        with pytest.raises(ActorSystemStartupFailure, match="not an actorcore TCP admin|refused us"):
            ActorSystem("multiprocTCPBase", {"Admin Port": port}, logDefs=False, transientUnique=True)
    assert not marker.exists()


def test_silent_connections_are_closed_at_the_deadline(tsys):
    socks = [socket.create_connection(("127.0.0.1", tsys.port), timeout=5) for _ in range(200)]
    try:
        deadline = time.monotonic() + 30
        open_ = list(socks)
        while open_ and time.monotonic() < deadline:
            for s in list(open_):
                s.settimeout(0.05)
                try:
                    if s.recv(1) == b"":
                        open_.remove(s)
                except TimeoutError:
                    pass
                except OSError:
                    open_.remove(s)
        assert not open_, f"{len(open_)} silent connections still open"
    finally:
        for s in socks:
            s.close()
    assert serving(tsys)


def _admin_pid(system) -> int:
    return system.ask(system.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_connections_that_send_4_kib_each_before_authenticating_cost_little_memory(tsys):
    pid = _admin_pid(tsys)
    before = _rss_kib(pid)
    socks = []
    try:
        for _ in range(200):  # 128 are read (the cap), the rest are closed at once
            s = socket.create_connection(("127.0.0.1", tsys.port), timeout=5)
            try:
                s.sendall((4096).to_bytes(4, "big") + os.urandom(4092))  # an unfinished 4 KiB message
            except OSError:
                pass  # refused over the cap
            socks.append(s)
        time.sleep(0.3)  # let the admin read what it will
        grown = _rss_kib(pid) - before
    finally:
        for s in socks:
            s.close()
    assert grown < 5 * 1024, f"admin grew by {grown} KiB"
    assert serving(tsys)


def test_a_flood_when_out_of_descriptors_rests_the_listener_and_rate_limits_the_log(tsys):
    import resource

    pid = _admin_pid(tsys)
    open_fds = len(os.listdir(f"/proc/{pid}/fd"))
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (open_fds + 10, hard))
    socks = []
    try:
        cpu0 = _cpu_seconds(pid)
        start = time.monotonic()
        for _ in range(150):
            try:
                socks.append(socket.create_connection(("127.0.0.1", tsys.port), timeout=1))
            except OSError:
                pass
        time.sleep(2.0)
        used = _cpu_seconds(pid) - cpu0
        elapsed = time.monotonic() - start
    finally:
        for s in socks:
            s.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    assert used < 0.5 * elapsed, f"admin used {used:.2f} s of CPU in {elapsed:.2f} s"
    assert logged(tsys.logfile, "admin cannot accept connections")
    lines = tsys.logfile.read_text().count("admin cannot accept connections")
    assert lines <= 20, f"{lines} lines for one flood"
    assert serving(tsys)


def test_a_programs_own_listener_closes_connections_that_never_authenticate(tsys):
    """Actors and programs listen for direct links too: a silent connection to
    one is closed at the deadline, and one that sends a pickle unpickles nothing."""
    host, port = tsys._base.transport.listen_addr.rsplit(":", 1)
    silent = socket.create_connection((host, int(port)), timeout=5)
    echo = tsys.createActor(Echo)
    try:
        def closed() -> bool:
            tsys.ask(echo, "pump", 0.2)  # the program reads its listener while it waits
            silent.settimeout(0.01)
            try:
                return silent.recv(1) == b""
            except TimeoutError:
                return False
            except OSError:
                return True
        assert until(closed, WAIT)
    finally:
        silent.close()
