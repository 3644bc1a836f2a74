"""Who may speak to a multiprocUnixTestBase admin (admin.py's docstring): a
connection must prove itself with its hello before anything it sends is handed
on, and a proven one may speak only for itself. Each refused case asserts that
the pickle it carried was never unpickled (it would create a marker file),
that the admin closed the connection and logged why, and that the system
still answers."""
from __future__ import annotations

import pickle
import socket
import struct
import tempfile

import pytest

from actorcore._core import plugins
from actorcore.actors import ActorSystem, ActorSystemStartupFailure
from actorcore.testing import descendants, log_to_file, until, wait_no_descendants
from tests.actors.basic import DeadLetterCollector
from tests.actors.processes import Sleeper
from tests.helpers import GET

BASE = "multiprocUnixTestBase"
WAIT = 10


class Marker:
    """Creates ``path`` when unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def frame(text: bytes) -> bytes:
    return struct.pack("!I", len(text)) + text


def envelope(target: str, sender: str, data: bytes) -> bytes:
    t, s = target.encode(), sender.encode()
    return frame(struct.pack("!HH", len(t), len(s)) + t + s + data)


@pytest.fixture
def usys(tmp_path):
    if plugins.registry().get(BASE) is None:
        pytest.skip(f"{BASE} is not installed (pip install -e tests/unixbase)")
    before = descendants()
    system = ActorSystem(BASE, logDefs=log_to_file(tmp_path / "admin.log"), transientUnique=True)
    system.logfile = tmp_path / "admin.log"
    system.transport = system._base.transport  # this base's own: the socket's path, the token
    try:
        yield system
    finally:
        system.shutdown()
    assert not wait_no_descendants(before)


def logged(system, text: str) -> bool:
    return bool(until(lambda: system.logfile.exists() and text in system.logfile.read_text(), WAIT))


def serving(system) -> bool:
    return system.ask(system.createActor(Sleeper), "still serving", WAIT) == "still serving"


def closed_by_peer(sock: socket.socket) -> bool:
    sock.settimeout(WAIT)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return True  # recv returned b"" (or the admin reset it); a timeout raises


HELLOS = {
    "no hello": lambda t: b"",  # the envelope itself comes first
    "wrong token": lambda t: frame(f"{t.client_prefix}\n{'0' * 32}".encode()),
    "unknown name": lambda t: frame(f"{t.admin_address}/999\n{t.token}".encode()),
    "token used twice": lambda t: frame(f"{t.client_prefix}\n{t.token}".encode()),
    "hello over 1 KiB": lambda t: frame(b"x" * 5000),
}


@pytest.mark.parametrize("case", HELLOS, ids=list(HELLOS))
def test_a_connection_that_does_not_prove_itself_is_refused_unread(usys, tmp_path, case):
    t = usys.transport
    marker = tmp_path / "pwned"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(t.listener.getsockname())
    with sock:
        sock.sendall(HELLOS[case](t) + envelope(t.admin_address, t.client_prefix + "1",
                                               pickle.dumps(Marker(str(marker)))))
        assert closed_by_peer(sock)
    assert not marker.exists()
    assert logged(usys, "refused a connection")
    assert serving(usys)


def test_a_proven_connection_speaks_only_for_its_own_process(usys):
    """The creating process's connection sends as an actor that does not
    exist: had the admin passed it on, the Sleeper's reply to that actor
    would reach the DeadLetterCollector."""
    dlh = usys.createActor(DeadLetterCollector)
    assert usys.ask(dlh, ("register",), WAIT) == "registered"
    sleeper = usys.createActor(Sleeper)
    target = sleeper.addressDetails
    forged = f"{usys.transport.admin_address}/999"
    usys.transport.send(target, (target, forged, pickle.dumps("forged")))
    assert usys.ask(sleeper, "in order after it", WAIT) == "in order after it"
    assert "forged" not in [e.deadMessage for e in usys.ask(dlh, GET, WAIT)]
    assert logged(usys, "named another sender")
    me = usys._endpoint.address.addressDetails  # the same, sent as itself, is passed on
    usys.transport.send(target, (target, me, pickle.dumps("own")))
    assert usys.listen(WAIT) == "own"


def test_a_socket_path_too_long_is_a_clear_startup_error(tmp_path, monkeypatch):
    if plugins.registry().get(BASE) is None:
        pytest.skip(f"{BASE} is not installed (pip install -e tests/unixbase)")
    deep = tmp_path / ("d" * 120)  # a Unix socket path holds about 100 bytes
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    with pytest.raises(ActorSystemStartupFailure, match="TMPDIR"):
        ActorSystem(BASE, logDefs=False, transientUnique=True)
    assert list(deep.iterdir()) == []  # its private directory did not stay behind
