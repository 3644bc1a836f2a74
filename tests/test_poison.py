"""docs/api.md §5.4, §4.3: exceptions in receiveMessage, retry and PoisonMessage."""
from __future__ import annotations

from actorcore.actors import PoisonMessage

from .actors.basic import Collector
from .actors.failures import (
    BadPoisonHandler,
    Fails,
    FailsOnce,
    MutatesThenFails,
    WakeupFails,
)
from .helpers import GET, WAIT, collected, poll


def test_failing_message_returns_poison_to_sender(asys):
    a = asys.createActor(Fails)
    reply = asys.ask(a, "boom", WAIT)
    assert isinstance(reply, PoisonMessage)
    assert reply.poisonMessage == "boom"


def test_exactly_two_attempts(asys):
    a = asys.createActor(Fails)
    asys.ask(a, "boom", WAIT)
    assert asys.ask(a, "count?", WAIT) == 2


def test_poison_details_name_the_exception(asys):
    reply = asys.ask(asys.createActor(Fails), "boom", WAIT)
    assert isinstance(reply.details, str)
    assert "KaboomError" in reply.details
    assert "boom handled badly" in reply.details


def test_actor_keeps_working_after_poison(asys):
    a = asys.createActor(Fails)
    for _ in range(3):
        assert isinstance(asys.ask(a, "boom", WAIT), PoisonMessage)
        assert asys.ask(a, "ping", WAIT) == "pong"
    assert asys.ask(a, "count?", WAIT) == 6


def test_retry_delivered_before_later_messages(asys):
    a = asys.createActor(FailsOnce)
    for m in ("A", "B", "C"):
        asys.tell(a, m)
    order = poll(asys, a, "order?", lambda o: len(o) >= 6)
    assert order == ["A", "A", "B", "B", "C", "C"]
    assert asys.listen(0.5) is None, "a message that succeeded on retry was poisoned"


def test_failing_poison_handler_never_produces_another_poison(asys):
    col = asys.createActor(Collector)
    target = asys.createActor(Fails)
    h = asys.createActor(BadPoisonHandler)
    assert asys.ask(h, ("go", target, col), WAIT) == "sent"
    got = collected(asys, col, lambda g: len(g) >= 2)
    asys.listen(0.5)
    got = asys.ask(col, GET, WAIT)
    assert got == [("poison-attempt", "boom")] * 2
    seen = asys.ask(target, "seen?", WAIT)
    assert not any(isinstance(m, PoisonMessage) for m in seen), seen
    assert asys.ask(h, "ping", WAIT) == "pong"


def test_failing_wakeup_comes_back_as_poison_to_the_actor(asys):
    a = asys.createActor(WakeupFails)
    assert asys.ask(a, "start", WAIT) == "started"
    result = poll(asys, a, "result?", lambda r: len(r) >= 1)
    assert result == [("WakeupMessage", "w", True)]


def test_retry_sees_changes_of_first_attempt(asys):
    a = asys.createActor(MutatesThenFails)
    reply = asys.ask(a, {"n": 0}, WAIT)
    assert isinstance(reply, PoisonMessage)
    assert asys.ask(a, "seen?", WAIT) == [0, 1]
    assert reply.poisonMessage["n"] >= 1
