"""Small actors most test modules use: echo, silence, collectors, an exit reporter."""
from __future__ import annotations

import os
import uuid

from actorcore.actors import Actor, ActorExitRequest, ChildActorExited, DeadEnvelope

from ..helpers import GET


class Echo(Actor):
    """Replies with the message itself; ("self?",) gets its own address."""

    def receiveMessage(self, message, sender):
        if isinstance(message, ActorExitRequest):
            return
        if message == ("self?",):
            self.send(sender, self.myAddress)
        elif message == ("id?",):
            self.send(sender, getattr(self, "_id", None))
        elif message == ("pid?",):
            self.send(sender, os.getpid())
        elif isinstance(message, ChildActorExited):
            return
        else:
            self.send(sender, message)

    def __init__(self):
        super().__init__()
        self._id = uuid.uuid4().hex


class Silent(Actor):
    """Never replies."""

    def receiveMessage(self, message, sender):
        pass


class Collector(Actor):
    """Keeps every message it gets; answers GET with the list so far."""

    def __init__(self):
        super().__init__()
        self.got = []

    def receiveMessage(self, message, sender):
        if message == GET:
            self.send(sender, list(self.got))
        elif isinstance(message, ActorExitRequest):
            pass
        else:
            self.got.append(message)

class PidCollector(Collector):
    """A Collector that tells its pid: ``("pid?",)`` answers it, ``("pid to",
    path)`` writes it to ``path`` and answers nobody."""

    def receiveMessage(self, message, sender):
        if message == ("pid?",):
            self.send(sender, os.getpid())
        elif isinstance(message, tuple) and message[:1] == ("pid to",):
            with open(message[1], "w") as fh:
                fh.write(str(os.getpid()))
        else:
            super().receiveMessage(message, sender)


class Mutator(Actor):
    """Appends "mutated" to a list it is sent and sends the list back."""

    def receiveMessage(self, message, sender):
        if isinstance(message, list):
            message.append("mutated")
            self.send(sender, message)


class DeadLetterCollector(Actor):
    """("register",) / ("unregister",) as dead letter handler; keeps DeadEnvelopes."""

    def __init__(self):
        super().__init__()
        self.got = []

    def receiveMessage(self, message, sender):
        if message == ("register",):
            self.handleDeadLetters()
            self.send(sender, "registered")
        elif message == ("unregister",):
            self.handleDeadLetters(startHandling=False)
            self.send(sender, "unregistered")
        elif message == GET:
            self.send(sender, list(self.got))
        elif isinstance(message, DeadEnvelope):
            self.got.append(message)


class ExitReporter(Actor):
    """(“report-to”, addr) stores a collector; reports ``exit_report()``,
    ("exit", myAddress), on exit; "ping" answers "pong"."""

    collector = None

    def exit_report(self):
        return ("exit", self.myAddress)

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("report-to",):
            self.collector = message[1]
            self.send(sender, "ok")
        elif isinstance(message, ActorExitRequest):
            if self.collector is not None:
                self.send(self.collector, self.exit_report())
        elif message == "ping":
            self.send(sender, "pong")


class Spawner(Actor):
    """("spawn", cls): creates a child (where it fits) and answers its address;
    "exited" answers the address details of the children that exited."""

    def __init__(self):
        super().__init__()
        self.exited = []

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[0] == "spawn":
            child = self.createActor(message[1])
            self.send(sender, child)
        elif isinstance(message, ChildActorExited):
            self.exited.append(message.childAddress.addressDetails)
        elif message == "exited":
            self.send(sender, list(self.exited))
