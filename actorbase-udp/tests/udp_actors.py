"""Actors for the UDP tests (importable by actor processes and other programs)."""
from __future__ import annotations

import os

from actorcore.actors import Actor, ActorSystemMessage


class Echo(Actor):
    def receiveMessage(self, message, sender):
        if not isinstance(message, ActorSystemMessage):
            self.send(sender, message)


class Relay(Actor):
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


class Collector(Actor):
    """Counts the strings it is told; answers ``"count"`` with the count."""

    def __init__(self):
        self.count = 0

    def receiveMessage(self, message, sender):
        if message == "count":
            self.send(sender, self.count)
        elif message == "pid":
            self.send(sender, os.getpid())
        elif isinstance(message, tuple) and message[0] == "pid to file":  # answers nobody
            with open(message[1], "w") as fh:
                fh.write(str(os.getpid()))
        elif isinstance(message, str):
            self.count += 1

