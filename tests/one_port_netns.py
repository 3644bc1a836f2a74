"""Running a snippet in a network namespace of the test's own whose ephemeral
port range is ``PORT`` and ``PORT + 1`` only: a program's own socket avoids
the Admin Port ``PORT`` and takes ``PORT + 1``, so whatever binds an
ephemeral port next can only get ``PORT`` itself. Used to force, rather
than hope for, the kernel handing a client the port it is about to probe."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Iterator

import pytest

PORT = 40123  # inside a private namespace nothing else can hold it


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)


def namespace() -> Iterator[str]:
    """The body of a fixture: a fresh namespace with loopback up, removed after."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    name = f"acport{uuid.uuid4().hex[:8]}"
    made = _ip("netns", "add", name)
    if made.returncode != 0:
        pytest.skip(f"`ip netns add` failed: {made.stderr.strip()}")
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        _ip("netns", "del", name)


def run(ns: str, snippet: str) -> str:
    """``snippet`` run by this interpreter in ``ns``; its output, stripped."""
    done = subprocess.run(
        ["ip", "netns", "exec", ns, "sh", "-c",
         f"sysctl -qw net.ipv4.ip_local_port_range='{PORT} {PORT + 1}' && "
         f"exec {sys.executable} -c '{snippet}'"],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
