"""Actors for the convention tests (also run by the driver programs of the
namespace tests): where an actor runs, convention updates, placement."""
from __future__ import annotations

import os

from actorcore.actors import (
    Actor,
    ActorExitRequest,
    ActorSystemConventionUpdate,
    ActorSystemMessage,
    ChildActorExited,
    requireCapability,
)


class Watcher(Actor):
    """Registers for convention updates and tells what it heard."""

    def __init__(self):
        super().__init__()
        self.heard = []

    def receiveMessage(self, message, sender):
        if message == "watch":
            self.notifyOnSystemRegistrationChanges(True)
            self.send(sender, "watching")
        elif isinstance(message, ActorSystemConventionUpdate):
            self.heard.append((message.remoteAdminAddress.addressDetails, message.remoteAdded,
                               dict(message.remoteCapabilities)))
        elif message == "heard":
            self.send(sender, list(self.heard))
        elif isinstance(message, tuple) and message[0] == "preregister":
            self.preRegisterRemoteSystem(message[1], message[2])
            self.send(sender, "asked")
        elif isinstance(message, tuple) and message[0] == "deregister":
            self.deRegisterRemoteSystem(message[1])
            self.send(sender, "asked")


class Where(Actor):
    """Says which admin runs it (actors are children of their system's admin)."""

    def receiveMessage(self, message, sender):
        if message == "where":
            self.send(sender, os.getppid())
        elif message == "name?":
            self.send(sender, ("name", self.globalName))  # a bare None would look like a timeout
        elif isinstance(message, tuple) and message[0] == "ping-via":
            self.asker = sender
            self.send(message[1], ("ping", self.myAddress))
        elif isinstance(message, tuple) and message[0] == "ping":
            self.send(message[1], ("pong", os.getppid()))
        elif isinstance(message, tuple) and message[0] == "pong":
            self.send(self.asker, ("pong", message[1]))
        elif isinstance(message, ActorExitRequest):
            pass
        elif not isinstance(message, ActorSystemMessage):
            self.send(sender, message)


@requireCapability("gpu")
class GpuWorker(Where):
    pass


@requireCapability("db")
class DbWorker(Where):
    pass


@requireCapability("unicorn")
class NeedsUnicorn(Where):
    pass


@requireCapability("gpu")
class GpuLogger(Actor):
    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[0] == "log":
            import logging

            logging.getLogger("convtest").log(message[1], message[2])
            self.send(sender, "logged")


class Reporter(Where):
    """Where, that also tells a collector (("report-to", addr)) who asked it to exit."""

    collector = None

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[0] == "report-to":
            self.collector = message[1]
            self.send(sender, "ok")
        elif isinstance(message, ActorExitRequest):
            if self.collector is not None:
                self.send(self.collector, ("exit-request", self.myAddress, sender))
        else:
            super().receiveMessage(message, sender)


@requireCapability("gpu")
class GpuReporter(Reporter):
    pass


class ReportingSpawner(Actor):
    """("spawn", cls, collector): a child told to report to the collector, as
    this actor does with each ChildActorExited it gets and its own exit."""

    collector = None

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[0] == "spawn":
            _, cls, self.collector = message
            child = self.createActor(cls)
            self.send(child, ("report-to", self.collector))
            self.send(sender, child)
        elif isinstance(message, ChildActorExited):
            self.send(self.collector, ("child-exited", message.childAddress))
        elif isinstance(message, ActorExitRequest):
            self.send(self.collector, ("parent-exit", self.myAddress))
