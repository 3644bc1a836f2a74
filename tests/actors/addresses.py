"""Actors for the ActorAddress tests: children, forwarders, printed addresses."""
from __future__ import annotations

from actorcore.actors import Actor

from .basic import Echo


class Child(Actor):
    def receiveMessage(self, message, sender):
        if message == "who":
            self.send(sender, ("me", self.myAddress))


class Parent(Actor):
    def receiveMessage(self, message, sender):
        if message == "go":
            self.asker = sender
            self.child = self.createActor(Child)
            self.send(self.child, "who")
        elif isinstance(message, tuple) and message[:1] == ("me",):
            real = message[1]
            self.send(self.asker, (
                self.child == real, real == self.child, sender == self.child,
                self.child != real, str(self.child) == str(real),
            ))


class Forwarder(Actor):
    """(target, msg): sends msg to target on behalf of the asker."""

    def receiveMessage(self, message, sender):
        target, msg, reply_to = message
        self.send(target, (msg, reply_to))


class PassOn(Actor):
    """(worker, msg): hands msg on to worker with the asker as reply_to."""

    def receiveMessage(self, message, sender):
        worker, msg = message
        self.send(worker, (msg, sender))


class ReplyTo(Actor):
    def receiveMessage(self, message, sender):
        msg, reply_to = message
        self.send(reply_to, ("via", msg))


class SenderIs(Actor):
    def receiveMessage(self, message, sender):
        self.send(sender, sender)


class Family(Actor):
    """Answers with the printed addresses it knows: its own, a child's, the asker's."""

    def receiveMessage(self, message, sender):
        if message == "addresses":
            self.send(sender, [str(self.myAddress), str(self.createActor(Echo)), str(sender)])
