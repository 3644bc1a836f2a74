"""Actors for the TCP tests (importable by actor processes and other programs)."""
from __future__ import annotations

from actorcore.actors import Actor, ActorSystemMessage


class Echo(Actor):
    def receiveMessage(self, message, sender):
        if not isinstance(message, ActorSystemMessage):
            self.send(sender, message)


class Collector(Actor):
    """Counts the strings it is told; answers ``"count"`` with the count."""

    def __init__(self):
        self.count = 0

    def receiveMessage(self, message, sender):
        if message == "count":
            self.send(sender, self.count)
        elif isinstance(message, str):
            self.count += 1
