"""Actors for the TCP tests (importable by actor processes and other programs)."""
from __future__ import annotations

from actorcore.actors import Actor, ActorSystemMessage


class Echo(Actor):
    def receiveMessage(self, message, sender):
        if not isinstance(message, ActorSystemMessage):
            self.send(sender, message)
