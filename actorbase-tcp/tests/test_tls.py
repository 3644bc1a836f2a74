"""Mutual TLS on the TCP base (docs/api.md §9.4). Certificates are made by trustme
in each test, never committed."""
from __future__ import annotations

import datetime
import os
import socket
import ssl
import subprocess
import sys
import textwrap

import pytest

trustme = pytest.importorskip("trustme", reason="trustme makes the test certificates")

from actorcore.actors import ActorSystem  # noqa: E402
from actorcore.testing import descendants, free_port, wait_no_descendants  # noqa: E402
from tests.actors.basic import Echo  # noqa: E402
from tests.actors.conventions import Watcher  # noqa: E402

WAIT = 10


def _files(tmp_path, ca, name, **cert_args) -> dict:
    cert = ca.issue_cert("127.0.0.1", **cert_args)
    folder = tmp_path / name
    folder.mkdir()
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    return {"TLS Certificate": str(folder / "cert.pem"), "TLS Key": str(folder / "key.pem")}


@pytest.fixture
def ca(tmp_path):
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    authority.path = str(tmp_path / "ca.pem")
    return authority


@pytest.fixture
def tls_system(tmp_path, ca, monkeypatch):
    before = descendants()
    port = free_port()
    caps = {"Admin Port": port, **_files(tmp_path, ca, "admin"), "TLS CA": ca.path}
    system = ActorSystem("multiprocTCPBase", caps, logDefs=False, transientUnique=True)
    system.port = port
    try:
        yield system
    finally:
        system.shutdown()
    assert not wait_no_descendants(before)


def _program(port: int, caps: dict) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        from actorcore.actors import ActorSystem
        from tests.actors.basic import Echo
        asys = ActorSystem("multiprocTCPBase", {{"Admin Port": {port}, **{caps!r}}}, logDefs=False,
                           transientUnique=True)
        print(asys.ask(asys.createActor(Echo), "over TLS", 10))
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_valid_mutual_tls_carries_the_whole_system(tls_system, tmp_path, ca):
    echoes = [tls_system.createActor(Echo) for _ in range(3)]
    for n, echo in enumerate(echoes):
        assert tls_system.ask(echo, ("hello", n), WAIT) == ("hello", n)
    out = _program(tls_system.port, {**_files(tmp_path, ca, "client"), "TLS CA": ca.path})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "over TLS"


def test_messages_of_many_tls_records_and_bursts_cross_intact(tls_system):
    """A message spans many TLS records (16 KiB each), and a burst puts
    several records in one read: every byte comes through, in order."""
    echo = tls_system.createActor(Echo)
    big = os.urandom(1 << 20)
    assert tls_system.ask(echo, big, WAIT) == big
    for n in range(200):
        tls_system.tell(echo, ("burst", n))
    replies = [tls_system.listen(WAIT) for _ in range(200)]
    assert replies == [("burst", n) for n in range(200)]


def test_a_program_without_tls_is_refused(tls_system):
    out = _program(tls_system.port, {})
    assert out.returncode != 0
    assert "if either side uses TLS, both must" in out.stderr
    assert tls_system.ask(tls_system.createActor(Echo), "still serving", WAIT) == "still serving"


def test_a_certificate_from_a_foreign_ca_is_refused(tls_system, tmp_path):
    foreign = trustme.CA()
    foreign.cert_pem.write_to_path(str(tmp_path / "foreign-ca.pem"))
    out = _program(tls_system.port, {**_files(tmp_path, foreign, "foreign"),
                                     "TLS CA": str(tmp_path / "foreign-ca.pem")})
    assert out.returncode != 0
    assert "authentication failed" in out.stderr


def test_an_expired_certificate_is_refused(tls_system, tmp_path, ca):
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=2)
    expired = _files(tmp_path, ca, "expired", not_before=past - datetime.timedelta(days=30), not_after=past)
    out = _program(tls_system.port, {**expired, "TLS CA": ca.path})
    assert out.returncode != 0
    assert "authentication failed" in out.stderr


def test_a_client_without_a_certificate_is_refused(tls_system, ca):
    ctx = ssl.create_default_context(cafile=ca.path)
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", tls_system.port), timeout=WAIT) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with ctx.wrap_socket(raw) as tls:
                tls.sendall(b"\0\0\0\1x")
                assert tls.recv(1) == b""  # TLS 1.3: the refusal arrives after the client's Finished
                raise ConnectionError("closed without a word")
    assert tls_system.ask(tls_system.createActor(Echo), "still serving", WAIT) == "still serving"


def test_tls_needs_all_three_files(tmp_path, ca):
    files = _files(tmp_path, ca, "half")
    with pytest.raises(ValueError, match="'TLS CA' not given"):
        ActorSystem("multiprocTCPBase", {"Admin Port": free_port(), **files}, logDefs=False,
                    transientUnique=True)
    with pytest.raises(ValueError, match="cannot be used"):
        ActorSystem("multiprocTCPBase", {"Admin Port": free_port(), **files, "TLS CA": str(tmp_path / "none.pem")},
                    logDefs=False, transientUnique=True)


def test_a_convention_member_without_a_valid_certificate_cannot_join(tls_system, tmp_path, ca):
    """A member whose certificate is of another CA is refused (its log says
    so); a member with a good one joins, and the leader hears only that one."""
    from actorcore.testing import log_to_file, until

    assert tls_system.ask(watcher := tls_system.createActor(Watcher), "watch", WAIT) == "watching"
    foreign = trustme.CA()
    foreign.cert_pem.write_to_path(str(tmp_path / "foreign-ca.pem"))
    log = tmp_path / "member.log"
    log_defs = log_to_file(log)
    leader = {"Convention Address.IPv4": ("127.0.0.1", tls_system.port)}
    bad = ActorSystem("multiprocTCPBase", {
        "Admin Port": free_port(), **leader, **_files(tmp_path, foreign, "bad"),
        "TLS CA": str(tmp_path / "foreign-ca.pem")}, logDefs=log_defs, transientUnique=True)
    good = None
    try:
        until(lambda: log.exists() and "authentication failed" in log.read_text(), WAIT)
        good = ActorSystem("multiprocTCPBase", {
            "Admin Port": free_port(), **leader, **_files(tmp_path, ca, "good"), "TLS CA": ca.path,
        }, logDefs=False, transientUnique=True)
        heard = until(lambda: tls_system.ask(watcher, "heard", WAIT), WAIT)
        assert [h[:2] for h in heard] == [(good.systemAddress.addressDetails, True)]
    finally:
        bad.shutdown()
        if good is not None:
            good.shutdown()
