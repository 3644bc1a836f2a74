"""docs/api.md §2.6, §6.3.1: wakeupAfter."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from actorcore.actors import WakeupMessage

from .actors.basic import Collector
from .actors.wakeups import Sleeper, Waiter, WakeAndReport
from .helpers import GET, WAIT, poll, settle


def test_wakeup_with_timedelta(asys):
    period = timedelta(milliseconds=200)
    msg, elapsed, from_self = asys.ask(asys.createActor(Sleeper), ("after", period, "p"), WAIT)
    assert isinstance(msg, WakeupMessage)
    assert isinstance(msg.delayPeriod, timedelta)
    assert msg.delayPeriod == period
    assert msg.payload == "p"
    assert from_self, "a wakeup's sender must be the actor itself"
    assert elapsed >= 0.2 - 0.002


@pytest.mark.parametrize("period", [0.15, 1 // 2])
def test_wakeup_with_number_keeps_its_type(asys, period):
    msg, elapsed, _ = asys.ask(asys.createActor(Sleeper), ("after", period, None), WAIT)
    assert type(msg.delayPeriod) is type(period)
    assert msg.delayPeriod == period
    assert msg.payload is None
    assert elapsed >= period - 0.002


def test_negative_period_acts_as_zero(asys):
    msg, _, _ = asys.ask(asys.createActor(Sleeper), ("after", -5, "neg"), WAIT)
    assert msg.payload == "neg" and msg.delayPeriod == -5


@pytest.mark.parametrize("bad", ["1", None, [1], object()])
def test_bad_period_type_is_type_error(asys, bad):
    assert asys.ask(asys.createActor(Sleeper), ("bad", bad), WAIT) == "TypeError"


def test_wakeups_fire_once_each_in_due_order(asys):
    a = asys.createActor(Sleeper)
    order = asys.ask(a, ("many", [(0.4, "late"), (0.1, "early"), (0.25, "middle")]), WAIT)
    assert order == ["early", "middle", "late"]
    settle(asys, 0.6)
    assert asys.listen(0.1) is None


def test_far_future_wakeup_does_not_hang_tell(asys):
    a = asys.createActor(Sleeper)
    assert asys.ask(a, "far", WAIT) == "scheduled"
    outcome = []

    def drive():
        asys.tell(a, "x")
        outcome.append(asys.ask(a, "ping", 1))

    t = threading.Thread(target=drive, daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "tell/ask hung on a far-future wakeup"
    assert outcome == ["pong"]


def test_pending_wakeups_die_with_the_actor(asys):
    from actorcore.actors import ActorExitRequest

    col = asys.createActor(Collector)
    a = asys.createActor(WakeAndReport)
    assert asys.ask(a, ("arm", col), WAIT) == "armed"
    asys.tell(a, ActorExitRequest())
    settle(asys, 0.7)
    assert asys.ask(col, GET, WAIT) == []


def test_wakeup_interleaves_with_messages(asys):
    col = asys.createActor(Collector)
    a = asys.createActor(WakeAndReport)
    assert asys.ask(a, ("arm", col), WAIT) == "armed"
    got = poll(asys, col, GET, lambda g: len(g) >= 1)
    assert got == [("woke", "late")]


def test_a_wakeup_due_while_the_program_slept_comes_before_its_next_message(asys):
    waiter = asys.createActor(Waiter)
    assert asys.ask(waiter, ("arm", 0.1), WAIT) == "armed"
    time.sleep(0.3)  # past the delay: the wakeup is due before 'awoken?' is sent
    assert asys.ask(waiter, "awoken?", WAIT) == ("woken", 1)


def test_a_wakeup_due_while_the_actor_was_busy_comes_before_what_arrived_meanwhile(asys):
    waiter = asys.createActor(Waiter)
    asys.tell(waiter, ("busy", 0.05, 0.6))
    # sent while the actor is busy (multiprocess bases) or after it (simple
    # base); either way its wakeup fell due before it reads this
    assert asys.ask(waiter, "awoken?", WAIT) == ("woken", 1)
