"""The runtime's Poller, which every transport waits with: descriptors that
come and go with the caller (an admin's sentinels, an actor's watches) are
registered and unregistered by what changed between two waits."""
from __future__ import annotations

import os

from actorcore.plugin import Poller


def _pipes(n: int) -> list[tuple[int, int]]:
    return [os.pipe() for _ in range(n)]


def test_extra_descriptors_follow_the_callers_set_as_it_changes():
    pipes = _pipes(5)
    try:
        poller = Poller()
        poller.spin = 0.0
        own_r, own_w = pipes[0]
        poller.add(own_r)
        extra = tuple(r for r, _ in pipes[1:4])
        poller.set_extra(extra)
        for _, w in pipes:
            os.write(w, b"x")
        assert sorted(poller.wait(0)) == sorted([own_r, *extra])
        # one gone, one new: the gone one is no longer watched, the rest are
        changed = (pipes[2][0], pipes[3][0], pipes[4][0])
        poller.set_extra(changed)
        assert sorted(poller.wait(0)) == sorted([own_r, *changed])
        # the very tuple again, and an equal list: nothing changes
        poller.set_extra(changed)
        poller.set_extra(list(changed))
        assert sorted(poller.wait(0)) == sorted([own_r, *changed])
        # an own descriptor stays watched when the extras go
        poller.set_extra(())
        assert poller.wait(0) == [own_r]
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)


def test_a_descriptor_closed_while_waited_on_is_dropped_not_reported_ready(caplog):
    """poll() reports a closed descriptor at once, on every call: returned
    as ready, a caller waiting in a loop would spin at full CPU."""
    import time

    (own_r, own_w), (gone_r, gone_w), (extra_r, extra_w) = _pipes(3)
    try:
        poller = Poller()
        poller.add(own_r)
        poller.add(gone_r)
        poller.set_extra((extra_r,))
        os.close(gone_r)
        os.close(extra_r)
        for spin in (0.0, 150e-6):  # the blocking wait, and the busy-poll before it
            poller.spin = spin
            poller._last = time.perf_counter()  # traffic just now: it would spin first
            caplog.clear()
            with caplog.at_level("WARNING", logger="actorcore.runtime"):
                assert poller.wait(0.2) == []
            if spin == 0.0:
                said = sorted(r.getMessage() for r in caplog.records)
                assert said == [f"descriptor {fd} was closed while still waited on; no longer waited on"
                                for fd in sorted((gone_r, extra_r))]
            else:
                assert caplog.records == []  # said once, when dropped
        os.write(own_w, b"x")
        assert poller.wait(1.0) == [own_r]  # the rest is still waited on
        reused_r, reused_w = os.pipe()  # may get a dropped number back: it is watched when given again
        try:
            poller.set_extra((reused_r,))
            os.write(reused_w, b"x")
            assert reused_r in poller.wait(1.0)
        finally:
            os.close(reused_r)
            os.close(reused_w)
    finally:
        for fd in (own_r, own_w, gone_w, extra_w):
            os.close(fd)
