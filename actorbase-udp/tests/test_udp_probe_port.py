"""A program probing a free Admin Port must find it free. The probe's own
socket gets an ephemeral port, and the kernel may hand out the very port
just picked as free for the admin: a probe connected to itself reads its
own probe and took the port for one held by something else (a CI flake).
Here that choice is forced, in a network namespace of the test's own whose
ephemeral range leaves the probe only that port, so the test does not
depend on luck.
Needs root and ``ip netns``; skipped with the reason otherwise."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

PORT = 40123  # inside a private namespace nothing else can hold it

PROBE = f"""
import sys
from actorbase_udp.client import ClientUdpTransport, Probed
t = ClientUdpTransport("127.0.0.1", {PORT}, 1 << 20, b"k" * 32)
try:
    print(t._probe_admin(1.0).name)
finally:
    t.ep.close()
"""


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)


@pytest.fixture
def ns():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    name = f"acprobe{uuid.uuid4().hex[:8]}"
    made = _ip("netns", "add", name)
    if made.returncode != 0:
        pytest.skip(f"`ip netns add` failed: {made.stderr.strip()}")
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        _ip("netns", "del", name)


def test_a_free_admin_port_is_found_free_when_the_probe_could_take_it(ns):
    # two ephemeral ports here: the program's own socket avoids the Admin Port
    # and takes PORT + 1, so the probe's can only be PORT itself
    done = subprocess.run(
        ["ip", "netns", "exec", ns, "sh", "-c",
         f"sysctl -qw net.ipv4.ip_local_port_range='{PORT} {PORT + 1}' && "
         f"exec {sys.executable} -c '{PROBE}'"],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ABSENT"
