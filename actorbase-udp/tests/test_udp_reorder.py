"""A stream whose first datagrams arrive out of order (a network may reorder
them) is delivered once, in order. The receiver refuses a stream that does
not start at 0 and the sender restarts it as a newer one; the refused
stream's first datagram, come late, must not be taken up as well, or its
messages would be delivered twice (found while trying Unix datagrams for
local peers, whose overflow into UDP reordered stream starts)."""
from __future__ import annotations

import time

import pytest

from actorbase_udp.datagrams import Endpoint
from actorbase_udp.wire import DATA, bind

KEY = b"k" * 32
WAIT = 10.0


def _reordering(ep: Endpoint, swaps: int) -> None:
    """Make ``ep`` send each of its first ``swaps`` pairs of data datagrams
    second one first."""
    send = ep._sendto
    held: list = []
    left = [swaps]

    def sendto(datagram: bytes, where) -> None:
        if left[0] and datagram[4] == DATA:
            if not held:
                held.append((datagram, where))
                return
            send(datagram, where)
            send(*held.pop())
            left[0] -= 1
            return
        send(datagram, where)

    ep._sendto = sendto  # type: ignore[method-assign]


def _drive(a: Endpoint, b: Endpoint, got: list, until, limit: float = WAIT) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not until():
        a.read(lambda chan, env: None)
        b.read(lambda chan, env: got.append(env))
        for ep in (a, b):
            ep.flush_acks()
            ep.retransmit(time.monotonic())
        time.sleep(0.002)


@pytest.mark.parametrize("swaps", [1, 3])
def test_a_stream_whose_start_is_reordered_is_delivered_once_in_order(swaps):
    a = Endpoint(bind("127.0.0.1", 0), KEY)
    b = Endpoint(bind("127.0.0.1", 0), KEY)
    try:
        _reordering(a, swaps)
        sent = [("T/1", "T/0", b"message %d" % i) for i in range(6)]
        for env in sent:
            a.send(b.local, env)
        got: list = []
        _drive(a, b, got, lambda: len(got) >= len(sent) and not a.busy())
        assert not a.busy(), "the sender never had everything acknowledged"
        _drive(a, b, got, lambda: False, limit=0.5)  # time for a duplicate to show up
        assert got == sent
        assert b.stats["dropped_stale_stream"] >= 1  # the late start was seen, and refused
    finally:
        a.close()
        b.close()
