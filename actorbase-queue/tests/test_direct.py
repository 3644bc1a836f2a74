"""The queue base on its own: its direct pipes (set up while traffic flows, order
kept across the switch) and the values it gives the common capabilities."""
from __future__ import annotations

import os
import signal
import time

import pytest

from actorcore.actors import Thespian_StatusReq
from actorcore.testing import running_system
from tests.actors.flow import NumberBurster, NumberCounter

WAIT = 20


@pytest.fixture
def qsys():
    with running_system("multiprocQueueBase", limit=0) as system:
        yield system


def test_order_is_kept_across_the_switch_to_a_direct_pipe(qsys):
    counter = qsys.createActor(NumberCounter)
    bursts = [qsys.createActor(NumberBurster) for _ in range(3)]
    for b in bursts:
        assert qsys.ask(b, ("burst", counter, 3000), WAIT) == "sent"
    deadline = time.monotonic() + WAIT
    report = None
    while time.monotonic() < deadline:
        report = qsys.ask(counter, "report?", WAIT)
        if report and report[0] == 9000:
            break
        time.sleep(0.05)
    # each burst is in order on its own; three senders interleave, so "out of
    # order" counts only the restarts at 0 (2 of them), never a reordering within one
    assert report == (9000, 2)


def test_the_client_gets_a_direct_pipe_to_a_busy_actor(qsys):
    echo = qsys.createActor(NumberBurster)
    for i in range(20):
        assert qsys.ask(echo, i, WAIT) == i
    transport = qsys._base.transport
    assert echo.addressDetails in transport.direct.out


def test_a_killed_reader_turns_direct_messages_into_dead_letters(qsys):
    echo = qsys.createActor(NumberBurster)
    for i in range(5):
        assert qsys.ask(echo, i, WAIT) == i
    status = qsys.ask(qsys.systemAddress, Thespian_StatusReq(), WAIT)
    pid = status.miscKeyVals["pids"][echo.addressDetails]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:  # the admin dead-letters what comes, and says "direct-gone"
        qsys.tell(echo, "into the void")
        if echo.addressDetails not in qsys._base.transport.direct.out:
            break
        qsys.listen(0.05)  # reading its link, the client learns the pipe's reader is gone
    assert echo.addressDetails not in qsys._base.transport.direct.out


def test_capabilities_of_the_base(qsys):
    caps = qsys.capabilities
    assert caps["Thespian ActorSystem Name"] == "multiprocQueueBase"
    assert caps["Thespian ActorSystem Version"] == 1
    assert caps["Thespian Watch Supported"] is False


def test_what_is_written_to_an_exiting_actors_direct_pipe_all_becomes_dead_letters(qsys):
    """Round after round, the client writes straight into an actor's pipe
    while the actor exits: every message reaches the dead letter handler.
    (The admin once let go of such a pipe while the client still wrote to it,
    losing a message in about one round of eight.)"""
    from actorcore.actors import ActorExitRequest
    from tests.actors.basic import DeadLetterCollector, Echo
    from tests.helpers import collected

    handler = qsys.createActor(DeadLetterCollector)
    assert qsys.ask(handler, ("register",), WAIT) == "registered"
    for rnd in range(24):
        echo = qsys.createActor(Echo)
        for _ in range(3):  # enough traffic for the client to get a direct pipe
            assert qsys.ask(echo, "up?", WAIT) == "up?"
        qsys.tell(echo, ActorExitRequest())
        for n in range(20):
            qsys.tell(echo, ("late", rnd, n))
        got = collected(qsys, handler, lambda g, rnd=rnd: sum(e.deadMessage[1] == rnd for e in g) >= 20)
        mine = sorted(e.deadMessage[2] for e in got if e.deadMessage[1] == rnd)
        assert mine == list(range(20)), f"round {rnd}: dead letters {mine}"
