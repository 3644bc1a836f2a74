"""Actors for the globalName tests."""
from __future__ import annotations

from actorcore.actors import Actor, ActorExitRequest

from .basic import Echo


class Named(Actor):
    def receiveMessage(self, message, sender):
        if message == "name?":
            self.send(sender, ("name", self.globalName))  # a bare None would look like a timeout
        elif message == "ping":
            self.send(sender, "pong")


class Requester(Actor):
    """Does what it is told and forwards every other message to its watcher."""

    watcher = None

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("kill",):
            _, target, self.watcher = message
            self.send(target, ActorExitRequest())
            self.send(sender, "sent")
        elif isinstance(message, tuple) and message[:1] == ("create-named",):
            _, name, self.watcher = message
            self.named = self.createActor(Echo, globalName=name)
            again = self.createActor(Named, globalName=name)
            self.send(sender, (self.named, again))
        elif isinstance(message, tuple) and message[:1] == ("create-child",):
            self.send(sender, self.createActor(message[1]))
        elif message == "kill-named":
            self.send(self.named, ActorExitRequest())
            self.send(sender, "sent")
        elif self.watcher is not None:
            self.send(self.watcher, message)
