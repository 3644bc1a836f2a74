"""Actors that move many or large messages: bursts, order checks, size limits."""
from __future__ import annotations

from actorcore.actors import Actor, ActorSystemMessage, PoisonMessage

from ..helpers import GET
from .basic import Echo


class Burster(Actor):
    """("burst", target, n, size): sends target n messages (i, size bytes) from
    one receiveMessage, then replies "sent": more than any send window holds."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("burst",):
            _, target, n, size = message
            payload = b"x" * size
            for i in range(n):
                self.send(target, (i, payload))
            self.send(sender, "sent")


class OrderCounter(Actor):
    """Counts (i, payload) messages and whether each i came next; GET answers
    (count, all in order, bytes received)."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.in_order = True
        self.size = 0

    def receiveMessage(self, message, sender):
        if message == GET:
            self.send(sender, (self.count, self.in_order, self.size))
        elif isinstance(message, tuple) and len(message) == 2:
            self.in_order = self.in_order and message[0] == self.count
            self.count += 1
            self.size += len(message[1])


class BigSender(Actor):
    """On ``("send", size)``: sends ``size`` bytes and then ``"after"`` to a
    Echo child, and reports to the asker what came back, in order:
    ``("poison", length, details)`` for a message returned as PoisonMessage,
    ``("bytes", length)`` or ``("str", text)`` for what the child echoed."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[0] == "send":
            self.client = sender
            child = self.createActor(Echo)
            self.send(child, b"x" * message[1])
            self.send(child, "after")
        elif isinstance(message, PoisonMessage):
            got = message.poisonMessage
            self.send(self.client, ("poison", len(got), message.details))
        elif isinstance(message, bytes):
            self.send(self.client, ("bytes", len(message)))
        elif isinstance(message, str):
            self.send(self.client, ("str", message))


class NumberBurster(Actor):
    """("burst", target, n): sends 0..n-1 to target as fast as it can; echoes
    any other ordinary message."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("burst",):
            _, target, n = message
            for i in range(n):
                self.send(target, i)
            self.send(sender, "sent")
        elif not isinstance(message, ActorSystemMessage):
            self.send(sender, message)


class NumberCounter(Actor):
    """Counts the numbers it is sent and how often one did not follow the one
    before; "report?" answers (count, out of order)."""

    def __init__(self):
        super().__init__()
        self.last = -1
        self.out_of_order = 0
        self.count = 0

    def receiveMessage(self, message, sender):
        if isinstance(message, int):
            if message != self.last + 1:
                self.out_of_order += 1
            self.last = message
            self.count += 1
        elif message == "report?":
            self.send(sender, (self.count, self.out_of_order))


class Chain(Actor):
    """``("chain", [addr, ...], payload, None)`` passes the payload down the
    chain; the last actor answers whoever started it."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and len(message) == 4 and message[0] == "chain":
            _, rest, payload, asker = message
            asker = asker or sender
            if rest:
                self.send(rest[0], ("chain", rest[1:], payload, asker))
            else:
                self.send(asker, payload)


class LastWriter(Actor):
    """``("n", i, last, path)``: counts; when ``i == last`` writes the count to ``path``
    (so a test can see progress without reading from the system)."""

    seen = 0

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and len(message) == 4 and message[0] == "n":
            self.seen += 1
            if message[1] == message[2]:
                with open(message[3], "w") as fh:
                    fh.write(str(self.seen))
