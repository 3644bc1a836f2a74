"""Flow: a program that tells far more than one window holds and then stops
reading still gets everything delivered (a helper thread reads the acks and
sends the rest), in order, to an actor that counts them."""
from __future__ import annotations

import socket
import time

from actorcore.actors import ActorSystem
from actorcore.testing import descendants, free_port, wait_no_descendants
from tests.actors.flow import LastWriter


def test_tells_beyond_the_window_arrive_while_the_program_does_not_read(tmp_path, monkeypatch):
    before = descendants()
    asys = ActorSystem("multiprocUDPBase", {"Admin Port": free_port(socket.SOCK_DGRAM)},
                       logDefs=False, transientUnique=True)
    try:
        counters = [asys.createActor(LastWriter) for _ in range(3)]
        n = 400  # over three times the 128-datagram window per destination
        for c, counter in enumerate(counters):
            for i in range(n):
                asys.tell(counter, ("n", i, n - 1, str(tmp_path / f"done-{c}")))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # sleep only: this program reads nothing now
            if all((tmp_path / f"done-{c}").exists() for c in range(3)):
                break
            time.sleep(0.05)
        for c in range(3):
            path = tmp_path / f"done-{c}"
            assert path.exists(), f"counter {c} did not get all {n} messages"
            assert path.read_text() == str(n)
    finally:
        asys.shutdown()
    assert not wait_no_descendants(before)
