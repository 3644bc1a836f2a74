"""The TCP admin port: other programs attach to it, and bad bytes sent to it are
dropped and logged while the admin keeps serving."""
from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import textwrap
import time

import pytest

from actorcore.actors import ActorSystem, ActorSystemStartupFailure, Thespian_StatusReq
from actorcore.testing import descendants, free_port, wait_no_descendants

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tcp_actors import Echo  # noqa: E402

WAIT = 10


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def tsys(port, monkeypatch):
    monkeypatch.setenv("ACTORCORE_TCP_HELLO_SECONDS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p))
    before = descendants()
    system = ActorSystem("multiprocTCPBase", {"Admin Port": port}, logDefs=False, transientUnique=True)
    try:
        yield system
    finally:
        system.shutdown()
    assert not wait_no_descendants(before)


def _serving(system) -> bool:
    echo = system.createActor(Echo)
    return system.ask(echo, "still serving", WAIT) == "still serving"


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
    assert _serving(tsys)


def test_a_huge_length_prefix_is_refused_without_waiting_for_it(tsys, port):
    sock = _raw(port, struct.pack("!I", 0xFFFFFFF0) + b"xx", close=False)
    assert _closed_by_peer(sock)
    assert _serving(tsys)


def test_a_truncated_frame_is_dropped(tsys, port):
    _raw(port, struct.pack("!IHH", 100, 0, 5) + b"hello")
    assert _serving(tsys)


def test_a_connection_that_says_nothing_is_closed(tsys, port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert _closed_by_peer(sock)  # after ACTORCORE_TCP_HELLO_SECONDS
    assert _serving(tsys)


def _program(port: int, body: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        from actorcore.actors import ActorSystem
        asys = ActorSystem("multiprocTCPBase", {{"Admin Port": {port}}}, logDefs=False,
                           transientUnique=True)
    """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=os.environ.copy())


def test_another_program_attaches_and_talks_to_the_same_actors(tsys, port):
    named = tsys.createActor(Echo, globalName="shared-echo")
    out = _program(port, """
        from tcp_actors import Echo
        addr = asys.createActor(Echo, globalName="shared-echo")
        print(asys.ask(addr, "from the other program", 10))
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "from the other program"
    assert tsys.ask(named, "still mine", WAIT) == "still mine"  # the other program left; we go on


def test_shutdown_from_another_program_stops_the_system(port, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p))
    before = descendants()
    system = ActorSystem("multiprocTCPBase", {"Admin Port": port}, logDefs=False, transientUnique=True)
    try:
        admin_pid = system.ask(system.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]
        out = _program(port, "asys.shutdown()\n")
        assert out.returncode == 0, out.stderr
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                os.kill(admin_pid, 0)
                with open(f"/proc/{admin_pid}/stat", "rb") as fh:
                    if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                        break
            except (ProcessLookupError, FileNotFoundError):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the admin did not stop")
    finally:
        system.shutdown()
    assert not wait_no_descendants(before)


def test_admin_port_given_as_a_string_is_a_clear_error():
    with pytest.raises(ValueError, match="Admin Port must be an int"):
        ActorSystem("multiprocTCPBase", {"Admin Port": "1900"}, logDefs=False, transientUnique=True)


def test_a_port_held_by_something_else_says_so():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(ActorSystemStartupFailure, match=f"{port}.*not an actorcore TCP admin.*pid {os.getpid()}"):
            ActorSystem("multiprocTCPBase", {"Admin Port": port}, logDefs=False,
                        transientUnique=True)
    finally:
        holder.close()


def test_a_port_bound_but_not_listening_says_so():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))  # bound, not listening: a connect is refused, the bind fails
    port = holder.getsockname()[1]
    try:
        with pytest.raises(ActorSystemStartupFailure, match=f"{port} is already in use; pick another"):
            ActorSystem("multiprocTCPBase", {"Admin Port": port}, logDefs=False,
                        transientUnique=True)
    finally:
        holder.close()
