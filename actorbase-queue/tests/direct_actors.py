"""Actors for the direct-pipe tests (importable by the actor processes)."""
from __future__ import annotations

from actorcore.actors import Actor, ActorSystemMessage


class Counter(Actor):
    """Checks that numbered messages arrive in order; answers "report?"."""

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


class Burst(Actor):
    """("burst", target, n): sends 0..n-1 to target as fast as it can."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("burst",):
            _, target, n = message
            for i in range(n):
                self.send(target, i)
            self.send(sender, "sent")
        elif not isinstance(message, ActorSystemMessage):
            self.send(sender, message)
