"""docs/api.md §5.4, §4.3: exceptions in receiveMessage, retry and PoisonMessage."""
from __future__ import annotations

from actorcore.actors import Actor, PoisonMessage, WakeupMessage

from .actors import Collector
from .helpers import GET, WAIT, collected, poll


class KaboomError(Exception):
    pass


class Fails(Actor):
    """Raises KaboomError on "boom"; "count?" reports the attempts seen."""

    def __init__(self):
        super().__init__()
        self.attempts = 0
        self.seen = []

    def receiveMessage(self, message, sender):
        if message == "boom":
            self.attempts += 1
            raise KaboomError("boom handled badly")
        if message == "count?":
            self.send(sender, self.attempts)
        elif message == "seen?":
            self.send(sender, list(self.seen))
        elif message == "ping":
            self.send(sender, "pong")
        else:
            self.seen.append(message)


class FailsOnce(Actor):
    """The first attempt at each message fails; records the order of attempts."""

    def __init__(self):
        super().__init__()
        self.order = []
        self.failed = set()

    def receiveMessage(self, message, sender):
        if message == "order?":
            self.send(sender, list(self.order))
            return
        self.order.append(message)
        if message not in self.failed:
            self.failed.add(message)
            raise KaboomError(message)


class BadPoisonHandler(Actor):
    """("go", target, collector): sends "boom" to target; its PoisonMessage handler raises."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("go",):
            _, target, self.collector = message
            self.send(target, "boom")
            self.send(sender, "sent")
        elif isinstance(message, PoisonMessage):
            self.send(self.collector, ("poison-attempt", message.poisonMessage))
            raise KaboomError("poison handler fails")
        elif message == "ping":
            self.send(sender, "pong")


class WakeupFails(Actor):
    def __init__(self):
        super().__init__()
        self.result = []

    def receiveMessage(self, message, sender):
        if message == "start":
            self.wakeupAfter(0.05, payload="w")
            self.send(sender, "started")
        elif isinstance(message, WakeupMessage):
            raise KaboomError("wakeup handler fails")
        elif isinstance(message, PoisonMessage):
            pm = message.poisonMessage
            self.result.append((type(pm).__name__, getattr(pm, "payload", None),
                                sender == self.myAddress))
        elif message == "result?":
            self.send(sender, list(self.result))


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


class MutatesThenFails(Actor):
    def __init__(self):
        super().__init__()
        self.seen = []

    def receiveMessage(self, message, sender):
        if message == "seen?":
            self.send(sender, list(self.seen))
            return
        self.seen.append(message["n"])
        message["n"] += 1
        raise KaboomError("after mutating")


def test_retry_sees_changes_of_first_attempt(asys):
    a = asys.createActor(MutatesThenFails)
    reply = asys.ask(a, {"n": 0}, WAIT)
    assert isinstance(reply, PoisonMessage)
    assert asys.ask(a, "seen?", WAIT) == [0, 1]
    assert reply.poisonMessage["n"] >= 1
