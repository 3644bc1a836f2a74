"""Direct connections between processes of one host go over Unix sockets
(docs/tcp.md, "Local peers"): each endpoint listens on an abstract Unix name
beside its TCP listener, a peer that finds that name connects there, and one
that does not (another host, or Unix sockets off) connects over TCP. The
handshake runs either way before anything is read as a message."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from actorbase_tcp.client import ClientTcpTransport
from actorbase_tcp.conn import Conn
from actorbase_tcp.control import connect_direct, unix_name
from actorbase_tcp.endpoint import EndpointTcpTransport
from actorcore.actors import Thespian_StatusReq
from actorcore.plugin import framing
from actorcore.testing import free_port, running_system
from tests.actors.basic import Echo
from tests.helpers import socket_inodes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="abstract Unix socket names are Linux's")

KEY = b"k" * 32
WAIT = 10.0


def _endpoint(me: str) -> EndpointTcpTransport:
    t = EndpointTcpTransport(me, "127.0.0.1", framing.DEFAULT_MAX, KEY)
    link_end, _admin_end = socket.socketpair()
    t.link = Conn(link_end, KEY, initiator=True, peer="admin")  # no admin: never answered
    t._admin_end = _admin_end  # kept open for the test's length
    return t


def _open_direct(a: EndpointTcpTransport, b: EndpointTcpTransport) -> tuple[Conn, Conn]:
    """``a`` sends to ``b`` directly; ``b`` accepts and completes the handshake.
    Returns (a's connection out, b's connection in)."""
    a.opening["T0/2"] = b.listen_addr
    a.send("T0/2", ("T0/2", "T0/1", b"hello"))
    conn_out = a.out["T0/2"]
    deadline = time.monotonic() + WAIT
    while not b.waiting and time.monotonic() < deadline:
        b.receive(0.05)
    assert b.waiting, "the direct connection never said its hello"
    assert conn_out.wait_authenticated(WAIT)
    return conn_out, b.waiting["T0/1"]


@pytest.fixture
def pair():
    made = []

    def make(me: str) -> EndpointTcpTransport:
        made.append(_endpoint(me))
        return made[-1]

    yield make
    for t in made:
        t.link.close()
        t._admin_end.close()
        t.close()


def test_a_direct_connection_on_one_host_goes_over_a_unix_socket(pair):
    a, b = pair("T0/1"), pair("T0/2")
    assert b.unix_listener is not None
    conn_out, conn_in = _open_direct(a, b)
    assert conn_out.sock.family == socket.AF_UNIX
    assert conn_in.sock.family == socket.AF_UNIX
    assert conn_out.authenticated and conn_in.authenticated


def test_with_unix_sockets_off_a_direct_connection_goes_over_tcp(pair, monkeypatch):
    monkeypatch.setenv("ACTORCORE_TCP_UNIX", "0")
    a, b = pair("T0/1"), pair("T0/2")
    assert b.unix_listener is None
    conn_out, conn_in = _open_direct(a, b)
    assert conn_out.sock.family == socket.AF_INET
    assert conn_in.sock.family == socket.AF_INET


def test_a_peer_without_a_unix_name_is_reached_over_tcp():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        sock = connect_direct("127.0.0.1:%d" % srv.getsockname()[1], timeout=WAIT)
        try:
            assert sock.family == socket.AF_INET
            assert sock.getpeername() == srv.getsockname()
        finally:
            sock.close()
    finally:
        srv.close()


SQUATTER = """
import os, socket, sys
os.setgid(65534); os.setuid(65534)  # nobody: another user than the tests'
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\\0" + sys.argv[1]); s.listen(8)  # an abstract name (argv cannot hold the NUL)
print("ready", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="starting a process as another user needs root")
def test_a_unix_name_held_by_another_user_is_passed_over_for_tcp(caplog):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    where = "127.0.0.1:%d" % srv.getsockname()[1]
    squatter = subprocess.Popen([sys.executable, "-c", SQUATTER, unix_name(where)[1:]],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert squatter.stdout.readline().strip() == "ready"
        sock = connect_direct(where, timeout=WAIT)
        try:
            assert sock.family == socket.AF_INET
            assert sock.getpeername() == srv.getsockname()
        finally:
            sock.close()
        assert "belongs to another user" in caplog.text
    finally:
        squatter.stdin.close()
        assert squatter.wait(WAIT) == 0
        srv.close()


def test_the_unix_name_goes_with_the_endpoint(pair):
    b = pair("T0/2")
    name = unix_name(b.listen_addr)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.connect(name)  # listening now
    probe.close()
    b.close()
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError):
        probe.connect(name)  # closed with its endpoint: nothing left to clean up
    probe.close()


def test_a_unix_connection_that_fails_the_handshake_is_dropped(pair):
    b = pair("T0/2")
    intruder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    intruder.connect(unix_name(b.listen_addr))
    try:
        intruder.sendall(b"\x00\x00\x00\x05hello")  # not a handshake message
        intruder.settimeout(WAIT)
        deadline = time.monotonic() + WAIT
        closed = False
        while time.monotonic() < deadline and not closed:
            assert b.receive(0.05) == ([], [])
            try:
                closed = intruder.recv(4096, socket.MSG_DONTWAIT) == b""
            except BlockingIOError:
                pass
            except ConnectionResetError:
                closed = True
        assert closed, "the endpoint kept a connection that failed the handshake"
        assert not b.waiting and not b.inputs
    finally:
        intruder.close()


def _unix_peers_of(pid: int) -> list[str]:
    """The abstract names of the connected Unix sockets ``pid`` holds that were
    accepted on an actorcore TCP endpoint's Unix listener."""
    inodes = socket_inodes(pid)
    names = []
    with open("/proc/net/unix") as fh:
        next(fh)
        for line in fh:
            fields = line.split()
            # Num RefCount Protocol Flags Type St Inode [Path]; St 03: connected
            if len(fields) >= 8 and fields[6] in inodes and fields[5] == "03" \
                    and fields[7].startswith("@actorcore-tcp/"):
                names.append(fields[7])
    return names


@pytest.mark.parametrize("unix", [True, False], ids=["unix", "tcp-only"])
def test_a_program_and_its_actor_talk_over_the_transport_chosen(monkeypatch, unix):
    if not unix:
        monkeypatch.setenv("ACTORCORE_TCP_UNIX", "0")
    with running_system("multiprocTCPBase", {"Admin Port": free_port()}) as asys:
        echo = asys.createActor(Echo)
        pid = asys.ask(echo, ("pid?",), WAIT)
        replies = [asys.ask(echo, i, WAIT) for i in range(50)]
        assert replies == list(range(50))
        peers = _unix_peers_of(pid)
        if unix:
            assert peers, "the program's direct connection to its actor is not a Unix socket"
        else:
            assert peers == []


def test_a_program_attaching_while_its_admin_starts_reaches_it_over_unix():
    # The starting program binds the Admin Port and attaches while the admin
    # is still coming up; the Unix name must be there from the same moment,
    # or that program's link (and any other attaching then) goes over TCP.
    client = ClientTcpTransport("127.0.0.1", free_port(), framing.DEFAULT_MAX, KEY)
    link = client.admin_link()  # bound, no admin process yet
    try:
        where = "%s:%d" % link.sock.getsockname()[:2]
        # as try_attach connects: over Unix when the name is there, else over
        # TCP (the port already listens, so that would succeed too)
        sock = connect_direct(where, timeout=WAIT)
        try:
            assert sock.family == socket.AF_UNIX, f"attached over {sock.family!r}, not a Unix socket"
            assert sock.getpeername() == unix_name(where).encode()
        finally:
            sock.close()
    finally:
        link.release()
        client.close()


@pytest.mark.parametrize("unix", [True, False], ids=["unix", "tcp-only"])
def test_actors_and_programs_link_to_their_admin_over_the_transport_chosen(monkeypatch, unix):
    if not unix:
        monkeypatch.setenv("ACTORCORE_TCP_UNIX", "0")
    with running_system("multiprocTCPBase", {"Admin Port": free_port()}) as asys:
        echoes = [asys.createActor(Echo) for _ in range(3)]
        assert [asys.ask(e, i, WAIT) for i, e in enumerate(echoes)] == [0, 1, 2]
        admin_pid = asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]
        # the admin's ends of the links of the three actors, the spare and this program
        links = _unix_peers_of(admin_pid)
        if unix:
            assert len(links) >= 4, links
        else:
            assert links == []


def test_messages_keep_their_order_across_the_switch_to_a_unix_socket():
    with running_system("multiprocTCPBase", {"Admin Port": free_port()}) as asys:
        echo = asys.createActor(Echo)
        # the first go through the admin, the rest over the Unix socket opened meanwhile
        for i in range(500):
            asys.tell(echo, ("n", i))
        got = [asys.listen(WAIT) for _ in range(500)]
        assert got == [("n", i) for i in range(500)]
        assert _unix_peers_of(asys.ask(echo, ("pid?",), WAIT))
