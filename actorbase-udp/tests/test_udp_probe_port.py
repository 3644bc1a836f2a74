"""A program probing a free Admin Port must find it free. The probe's own
socket gets an ephemeral port, and the kernel may hand out the very port
just picked as free for the admin: a probe connected to itself read its
own probe and took the port for one held by something else (a CI flake).
The kernel's choice is forced (tests/one_port_netns.py). Needs root and
``ip netns``; skipped with the reason otherwise."""
from __future__ import annotations

import pytest

from tests import one_port_netns

PROBE = f"""
from actorbase_udp.client import ClientUdpTransport
t = ClientUdpTransport("127.0.0.1", {one_port_netns.PORT}, 1 << 20, b"k" * 32)
try:
    print(t._probe_admin(1.0).name)
finally:
    t.ep.close()
"""


@pytest.fixture
def ns():
    yield from one_port_netns.namespace()


def test_a_free_admin_port_is_found_free_when_the_probe_could_take_it(ns):
    assert one_port_netns.run(ns, PROBE) == "ABSENT"
