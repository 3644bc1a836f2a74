"""A program looking for an admin on a free Admin Port must find none. With
nothing listening, TCP's connect() may take the very port it connects to
as its own ephemeral port and reach itself (a simultaneous open); that
connection must count as "nobody there", not as something else holding
the port. The choice is forced in a network namespace of the test's own
whose ephemeral range leaves the connect only that port. Needs root and
``ip netns``; skipped with the reason otherwise."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

PORT = 40123  # inside a private namespace nothing else can hold it

ATTACH = f"""
from actorbase_tcp.client import ClientTcpTransport
t = ClientTcpTransport("127.0.0.1", {PORT}, 1 << 20, b"k" * 32)
try:
    print(t.try_attach(0.0).name)
finally:
    t.close()
"""


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)


@pytest.fixture
def ns():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    name = f"acself{uuid.uuid4().hex[:8]}"
    made = _ip("netns", "add", name)
    if made.returncode != 0:
        pytest.skip(f"`ip netns add` failed: {made.stderr.strip()}")
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        _ip("netns", "del", name)


def test_a_free_admin_port_is_found_free_when_connect_could_reach_itself(ns):
    # two ephemeral ports here: the program's listener avoids the Admin Port
    # and takes PORT + 1, so the connect's own port can only be PORT itself
    done = subprocess.run(
        ["ip", "netns", "exec", ns, "sh", "-c",
         f"sysctl -qw net.ipv4.ip_local_port_range='{PORT} {PORT + 1}' && "
         f"exec {sys.executable} -c '{ATTACH}'"],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ABSENT"
