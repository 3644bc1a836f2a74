"""Actors for the two-systems tests (importable: child processes load them by name)."""
from __future__ import annotations

from actorcore.actors import Actor, PoisonMessage


class Relay(Actor):
    """("relay", addr): sends "ping" to addr and answers the asker "relayed pong"
    when addr's "pong" comes back, or ("refused", details) if the ping comes
    back as PoisonMessage; "ping": answers "pong"; anything else is echoed."""

    def receiveMessage(self, message, sender):
        if isinstance(message, PoisonMessage) and message.poisonMessage == "ping":
            self.send(self.asker, ("refused", message.details))
        elif isinstance(message, tuple) and message[:1] == ("relay",):
            self.asker = sender
            self.send(message[1], "ping")
        elif message == "ping":
            self.send(sender, "pong")
        elif message == "pong":
            self.send(self.asker, "relayed pong")
        elif isinstance(message, str):
            self.send(sender, ("echo", message))
