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
