"""docs/api.md §2.6, §6.3.1: wakeupAfter."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from actorcore.actors import Actor, WakeupMessage

from .actors import Collector
from .helpers import GET, WAIT, poll, settle


class Sleeper(Actor):
    """("after", period, payload): schedules a wakeup, replies with what arrived
    plus the elapsed time measured inside the actor."""

    def __init__(self):
        super().__init__()
        self.pending = []
        self.got = []

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("after",):
            _, period, payload = message
            self.pending.append((sender, time.monotonic()))
            self.wakeupAfter(period, payload)
        elif isinstance(message, tuple) and message[:1] == ("many",):
            self.asker = sender
            self.expect = len(message[1])
            for period, payload in message[1]:
                self.wakeupAfter(period, payload)
        elif isinstance(message, WakeupMessage):
            if getattr(self, "asker", None) is not None:
                self.got.append(message.payload)
                if len(self.got) == self.expect:
                    self.send(self.asker, list(self.got))
                return
            asker, started = self.pending.pop(0)
            self.send(asker, (message, time.monotonic() - started, sender == self.myAddress))
        elif isinstance(message, tuple) and message[:1] == ("bad",):
            try:
                self.wakeupAfter(message[1])
            except Exception as exc:
                self.send(sender, type(exc).__name__)
            else:
                self.send(sender, "accepted")
        elif message == "far":
            self.wakeupAfter(timedelta(hours=1), "far")
            self.send(sender, "scheduled")
        elif message == "ping":
            self.send(sender, "pong")


class WakeAndReport(Actor):
    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("arm",):
            self.collector = message[1]
            self.wakeupAfter(0.3, "late")
            self.send(sender, "armed")
        elif isinstance(message, WakeupMessage):
            self.send(self.collector, ("woke", message.payload))


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


class Waiter(Actor):
    """Counts its wakeups; ("arm", delay) or ("busy", delay, seconds) schedule one."""

    woken = 0

    def receiveMessage(self, message, sender):
        if isinstance(message, WakeupMessage):
            self.woken += 1
        elif isinstance(message, tuple) and message[:1] == ("arm",):
            self.wakeupAfter(message[1])
            self.send(sender, "armed")
        elif isinstance(message, tuple) and message[:1] == ("busy",):
            self.wakeupAfter(message[1])
            time.sleep(message[2])  # still busy when the wakeup falls due
        elif message == "awoken?":
            self.send(sender, ("woken", self.woken))


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
