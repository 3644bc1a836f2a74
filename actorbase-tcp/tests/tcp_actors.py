"""Actors for the TCP tests (importable by actor processes and other programs)."""
from __future__ import annotations

from actorcore.actors import Actor, ActorSystemConventionUpdate, ActorSystemMessage


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


class Watcher(Actor):
    """Registers for convention updates; ``"heard"`` answers the systems that joined."""

    def __init__(self):
        self.heard = []

    def receiveMessage(self, message, sender):
        if message == "watch":
            self.notifyOnSystemRegistrationChanges(True)
            self.send(sender, "watching")
        elif isinstance(message, ActorSystemConventionUpdate) and message.remoteAdded:
            self.heard.append(message.remoteAdminAddress.addressDetails)
        elif message == "heard":
            self.send(sender, list(self.heard))
