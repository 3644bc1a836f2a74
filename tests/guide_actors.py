"""Actors for test_using_guide.py (importable by every base's processes)."""
from __future__ import annotations

from actorcore.actors import Actor, ActorSystemMessage, PoisonMessage


class Mirror(Actor):
    """Sends back whatever ordinary message it gets."""

    def receiveMessage(self, message, sender):
        if not isinstance(message, ActorSystemMessage):
            self.send(sender, message)


class BigSender(Actor):
    """On ``("send", size)``: sends ``size`` bytes and then ``"after"`` to a
    Mirror child, and reports to the asker what came back, in order:
    ``("poison", length, details)`` for a message returned as PoisonMessage,
    ``("bytes", length)`` or ``("str", text)`` for what the child mirrored."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[0] == "send":
            self.client = sender
            child = self.createActor(Mirror)
            self.send(child, b"x" * message[1])
            self.send(child, "after")
        elif isinstance(message, PoisonMessage):
            got = message.poisonMessage
            self.send(self.client, ("poison", len(got), message.details))
        elif isinstance(message, bytes):
            self.send(self.client, ("bytes", len(message)))
        elif isinstance(message, str):
            self.send(self.client, ("str", message))
