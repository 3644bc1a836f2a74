"""docs/api.md §1.3: ``actorcore.transient`` — actors that leave on their own."""
from __future__ import annotations

import time

import pytest

from actorcore.actors import Actor, ActorAddress
from actorcore.testing import until
from actorcore.transient import transient, transient_idle

from .actors.basic import Spawner
from .actors.decorated import Fleeting, Lingering
from .helpers import WAIT, settle


def _spawn(asys, cls):
    nanny = asys.createActor(Spawner)
    child = asys.ask(nanny, ("spawn", cls), WAIT)
    assert isinstance(child, ActorAddress), child
    return nanny, child


def _exited(asys, nanny, child) -> bool:
    exited = asys.ask(nanny, "exited", WAIT)
    assert exited in ([], [child.addressDetails]), exited
    return bool(exited)


def test_transient_waits_for_its_first_message_then_exits(asys):
    nanny, child = _spawn(asys, Fleeting)  # exits 0.3 s after its first message
    settle(asys, 0.6)
    assert not _exited(asys, nanny, child), "exited before it had any message"
    assert asys.ask(child, "ping", WAIT) == "pong"
    until(lambda: _exited(asys, nanny, child), limit=WAIT)


def test_transient_exits_on_time_however_busy(asys):
    nanny, child = _spawn(asys, Fleeting)
    deadline = time.monotonic() + WAIT
    # Pinged far more often than its 0.3 s delay, it still leaves. The pings
    # come from a context of their own: a pong late under load must not be
    # taken for the nanny's answer.
    with asys.private() as pinger:
        while not _exited(asys, nanny, child):
            assert time.monotonic() < deadline, "a @transient actor kept running while busy"
            pinger.tell(child, "ping")
            settle(asys, 0.05)


def test_transient_idle_stays_while_busy_and_exits_once_idle(asys):
    nanny, child = _spawn(asys, Lingering)  # exits after 0.4 s without a message
    settle(asys, 0.6)
    assert not _exited(asys, nanny, child), "exited before it had any message"
    end = time.monotonic() + 0.9
    while time.monotonic() < end:
        assert asys.ask(child, "ping", WAIT) == "pong"
        settle(asys, 0.05)
    assert not _exited(asys, nanny, child), "a @transient_idle actor left while it was kept busy"
    until(lambda: _exited(asys, nanny, child), limit=WAIT)


def test_transient_refuses_bad_delays():
    with pytest.raises(ValueError):
        transient(-1)
    with pytest.raises(TypeError, match="timedelta"):
        transient_idle("10s")
    with pytest.raises(TypeError, match="parentheses"):

        @transient
        class NoParens(Actor):
            pass
