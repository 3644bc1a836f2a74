"""Actors that fail in receiveMessage: retries, PoisonMessage, unpicklable sends."""
from __future__ import annotations

import threading

from actorcore.actors import Actor, PoisonMessage, WakeupMessage


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


class AlwaysFails(Actor):
    def receiveMessage(self, message, sender):
        raise ValueError(f"cannot handle {message!r}")


class SendsUnpicklable(Actor):
    """("go", target): sends a threading.Lock to target (None: to the asker);
    reports what came back: ("poison", True) for a PoisonMessage of that lock."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("go",):
            self.asker = sender
            self.lock = threading.Lock()
            self.send(message[1] or sender, self.lock)
        elif isinstance(message, PoisonMessage):
            self.send(self.asker, ("poison", message.poisonMessage is self.lock
                                   or type(message.poisonMessage).__name__))
        else:
            self.send(self.asker, ("reply", type(message).__name__))
