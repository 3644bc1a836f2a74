"""Conventions across separate network stacks: one leader and two members, each
in a network namespace of its own, joined by veth pairs to a bridge in a hub
namespace the test creates (and removes). Needs root and ``ip netns``; skipped
with the reason otherwise. No traffic leaves the namespaces."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from actorcore.testing import descendants, until, wait_no_descendants

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # actors come from the behaviour suite's package
DRIVER = os.path.join(HERE, "netns_driver.py")
PORT = 1900  # inside private namespaces nothing else can hold it
WAIT = 20


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=check)


def _netns_unavailable() -> str:
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"acp{uuid.uuid4().hex[:8]}"
    try:
        done = _ip("netns", "add", probe, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`ip netns` is not usable here: {exc}"
    if done.returncode != 0:
        return f"`ip netns add` failed: {done.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return ""


_WHY = _netns_unavailable()
pytestmark = pytest.mark.skipif(bool(_WHY), reason=_WHY or "ok")


class Net:
    """A hub namespace with a bridge, and one namespace per host on it."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.prefix = f"ac{tag}"
        self.hub = f"{self.prefix}-hub"
        self.hosts: dict[str, str] = {}  # name -> IP
        self.namespaces = [self.hub]
        _ip("netns", "add", self.hub)
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        self.subnet = f"10.{0x40 + int(tag[:2], 16) % 64}.{int(tag[2:4], 16)}"

    def host(self, name: str, index: int) -> str:
        ns = f"{self.prefix}-{name}"
        _ip("netns", "add", ns)
        self.namespaces.append(ns)
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", f"h{name}", "netns", self.hub)
        _ip("-n", self.hub, "link", "set", f"h{name}", "master", "br0")
        _ip("-n", self.hub, "link", "set", f"h{name}", "up")
        ip = f"{self.subnet}.{index}"
        _ip("-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        self.hosts[name] = ip
        return ip

    def cut(self, name: str, up: bool) -> None:
        """Take a host's cable out of the bridge (or put it back): its own
        interface stays up, so packets are silently lost, as on a real network."""
        _ip("-n", self.hub, "link", "set", f"h{name}", "up" if up else "down")

    def run(self, name: str, op: str, caps: dict, snippet: str = "", env: dict | None = None) -> object:
        ns = f"{self.prefix}-{name}"
        full_env = dict(os.environ)
        full_env.update({
            "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p),
            "CONVENTION_REREGISTRATION_PERIOD": "00:01",
            "CONVENTION_REGISTRATION_MISS_MAX": "3",
            "ACTORCORE_TCP_CONNECT_SECONDS": "1",
            "ACTORCORE_LEADER_PROBE_SECONDS": "2",
        })
        full_env.pop("THESPIAN_BASE_IPADDR", None)
        full_env.update(env or {})
        args = ["ip", "netns", "exec", ns, sys.executable, DRIVER, op, json.dumps(caps)]
        if snippet:
            args.append(snippet)
        done = subprocess.run(args, capture_output=True, text=True, timeout=60, env=full_env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def close(self) -> None:
        for ns in reversed(self.namespaces):
            _ip("netns", "del", ns, check=False)


@pytest.fixture
def net():
    before = descendants()
    made = Net()
    pids: list[int] = []
    made.pids = pids
    try:
        yield made
    finally:
        for pid in pids:  # only the admins this test started
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        left = wait_no_descendants(before, 20)
        made.close()
    assert not left, f"processes left behind: {left}"


HEARD = "result = asys.ask(asys.createActor(actors.Watcher, globalName='watcher'), 'heard', 10)"
WATCH = "result = asys.ask(asys.createActor(actors.Watcher, globalName='watcher'), 'watch', 10)"
STOP = "asys.shutdown(); result = 'stopped'"


def test_leader_and_two_members_on_separate_network_stacks(net):
    lead_ip = net.host("L", 1)
    net.host("A", 2)
    net.host("B", 3)
    leader_caps = {"Admin Port": PORT}
    lead_env = {"THESPIAN_BASE_IPADDR": lead_ip}  # a leader names its interface; members find theirs
    member = {"Admin Port": PORT, "Convention Address.IPv4": [lead_ip, PORT]}
    leader = net.run("L", "start", leader_caps, env=lead_env)
    net.pids.append(leader["pid"])
    assert net.run("L", "run", leader_caps, WATCH, env=lead_env) == "watching"
    a = net.run("A", "start", dict(member, gpu=True))
    net.pids.append(a["pid"])
    b = net.run("B", "start", dict(member, db=True))
    net.pids.append(b["pid"])

    def heard():
        return net.run("L", "run", leader_caps, HEARD, env=lead_env)

    until(lambda: {s for s, added, _ in heard() if added} >= {a["sysid"], b["sysid"]}, limit=WAIT)

    # placement by capability, and an actor on one member messaging one on the other
    placed = net.run("L", "run", leader_caps, """
sp = asys.createActor(basic.Spawner, globalName='spawner')
gpu = asys.ask(sp, ('spawn', actors.GpuWorker), 10)
db = asys.ask(sp, ('spawn', actors.DbWorker), 10)
result = [asys.ask(gpu, 'where', 10), asys.ask(db, 'where', 10),
          asys.ask(gpu, ('ping-via', db), 10), db.addressDetails]
""", env=lead_env)
    assert placed[0] == a["pid"] and placed[1] == b["pid"]
    assert placed[2] == ["pong", b["pid"]]
    db_child = placed[3]

    # a member killed: the leader's watchers and the parent of its actor hear of it
    started = time.monotonic()
    os.kill(b["pid"], signal.SIGKILL)
    net.pids.remove(b["pid"])
    until(lambda: [b["sysid"], False] in [h[:2] for h in heard()], limit=WAIT)
    killed_noticed = time.monotonic() - started
    exited = net.run("L", "run", leader_caps,
                     "result = asys.ask(asys.createActor(basic.Spawner, globalName='spawner'), 'exited', 10)",
                     env=lead_env)
    assert db_child in exited

    # the link taken down and brought back: the member is declared gone, then rejoins
    net.cut("A", up=False)
    started = time.monotonic()
    until(lambda: [a["sysid"], False] in [h[:2] for h in heard()], limit=30)
    cut_noticed = time.monotonic() - started
    net.cut("A", up=True)
    started = time.monotonic()
    until(lambda: [h[:2] for h in heard()].count([a["sysid"], True]) >= 2, limit=30)
    rejoined = time.monotonic() - started
    again = net.run("L", "run", leader_caps,
                    "result = asys.ask(asys.createActor(actors.GpuWorker), 'where', 10)", env=lead_env)
    assert again == a["pid"]
    print(f"\n[netns] killed member noticed after {killed_noticed * 1000:.0f} ms; "
          f"cut link noticed after {cut_noticed:.1f} s; rejoined {rejoined:.1f} s after the link came back")

    # a program on the member's host attaches with just the Admin Port (the
    # admin also listens on loopback), and can stop it
    stop = "result = asys.systemAddress.addressDetails; asys.shutdown()"
    assert net.run("A", "run", {"Admin Port": PORT}, stop) == a["sysid"]
    assert net.run("L", "run", leader_caps, STOP, env=lead_env) == "stopped"
    net.pids.clear()


def test_startup_fails_clearly_when_the_leader_cannot_be_reached(net):
    net.host("L", 1)
    lone = f"{net.prefix}-X"  # a host with no network at all, only loopback
    _ip("netns", "add", lone)
    net.namespaces.append(lone)
    _ip("-n", lone, "link", "set", "lo", "up")
    net.hosts["X"] = "127.0.0.1"
    for leader, expect in (
        ([net.hosts["L"], PORT], "cannot be reached"),
        (["leader.invalid", PORT], "does not resolve"),
    ):
        started = time.monotonic()
        got = net.run("X", "start", {"Admin Port": PORT, "Convention Address.IPv4": leader})
        took = time.monotonic() - started
        assert "ActorSystemStartupFailure" in got["error"] or "ActorSystemStartupError" in got["error"], got
        assert expect in got["error"] and str(PORT) in got["error"], got
        assert "Convention Address.IPv4" in got["error"]
        print(f"\n[netns] startup refused after {took:.1f} s: {got['error']}")


def test_an_address_that_is_not_this_hosts_is_refused_before_any_packet(net):
    net.host("L", 1)
    got = net.run("L", "start", {"Admin Port": PORT}, env={"THESPIAN_BASE_IPADDR": "10.254.1.1"})
    assert "not an address of this host" in got["error"] and "THESPIAN_BASE_IPADDR" in got["error"], got


def test_a_convention_with_a_secret_and_tls_across_hosts_refuses_who_lacks_either(net, tmp_path):
    """Three hosts in one convention over mutual TLS and the secret; a fourth
    with a certificate of another CA and a fifth with the wrong secret are
    refused (their logs say so) and never join."""
    trustme = pytest.importorskip("trustme", reason="trustme makes the test certificates")
    ca, foreign = trustme.CA(), trustme.CA()

    def tls(authority, name):
        cert = authority.issue_cert("actorcore-test")
        folder = tmp_path / name
        folder.mkdir()
        authority.cert_pem.write_to_path(str(folder / "ca.pem"))
        cert.private_key_pem.write_to_path(str(folder / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
        return {"TLS Certificate": str(folder / "cert.pem"), "TLS Key": str(folder / "key.pem"),
                "TLS CA": str(folder / "ca.pem")}

    lead_ip = net.host("L", 1)
    for index, name in enumerate("ABCD", start=2):
        net.host(name, index)
    leader_caps = {"Admin Port": PORT, **tls(ca, "L")}
    lead_env = {"THESPIAN_BASE_IPADDR": lead_ip}
    member = {"Admin Port": PORT, "Convention Address.IPv4": [lead_ip, PORT]}
    leader = net.run("L", "start", leader_caps, env=lead_env)
    net.pids.append(leader["pid"])
    assert net.run("L", "run", leader_caps, WATCH, env=lead_env) == "watching"
    good = []
    for name, caps in (("A", {"gpu": True}), ("B", {"db": True})):
        started = net.run(name, "start", {**member, **caps, **tls(ca, name)})
        net.pids.append(started["pid"])
        good.append(started["sysid"])
    logs = {name: tmp_path / f"{name}.log" for name in "CD"}
    bad = [net.run("C", "start", {**member, **tls(foreign, "C")}, env={"NETNS_LOG_FILE": str(logs["C"])}),
           net.run("D", "start", {**member, **tls(ca, "D")},
                   env={"NETNS_LOG_FILE": str(logs["D"]), "ACTORCORE_SECRET": "not the convention's secret"})]
    net.pids.extend(b["pid"] for b in bad)

    def heard():
        return net.run("L", "run", leader_caps, HEARD, env=lead_env)

    until(lambda: {s for s, added, _ in heard() if added} >= set(good), limit=WAIT)
    for log in logs.values():
        until(lambda log=log: log.exists() and "authentication failed" in log.read_text(), limit=WAIT)
    assert {s for s, _, _ in heard()} == set(good)  # the refused never joined
    placed = net.run("L", "run", leader_caps, """
sp = asys.createActor(basic.Spawner, globalName='spawner')
gpu = asys.ask(sp, ('spawn', actors.GpuWorker), 10)
db = asys.ask(sp, ('spawn', actors.DbWorker), 10)
result = asys.ask(gpu, ('ping-via', db), 10)
""", env=lead_env)
    assert placed[0] == "pong"
    secret = os.environ["ACTORCORE_SECRET"]
    for log in logs.values():
        assert secret not in log.read_text()
