"""A program looking for an admin on a free Admin Port must find none. With
nothing listening, TCP's connect() may take the very port it connects to
as its own ephemeral port and reach itself (a simultaneous open); that
connection must count as "nobody there", not as something else holding
the port. The kernel's choice is forced (tests/one_port_netns.py). Needs
root and ``ip netns``; skipped with the reason otherwise."""
from __future__ import annotations

import pytest

from tests import one_port_netns

ATTACH = f"""
from actorbase_tcp.client import ClientTcpTransport
t = ClientTcpTransport("127.0.0.1", {one_port_netns.PORT}, 1 << 20, b"k" * 32)
try:
    print(t.try_attach(0.0).name)
finally:
    t.close()
"""


@pytest.fixture
def ns():
    yield from one_port_netns.namespace()


def test_a_free_admin_port_is_found_free_when_connect_could_reach_itself(ns):
    assert one_port_netns.run(ns, ATTACH) == "ABSENT"
