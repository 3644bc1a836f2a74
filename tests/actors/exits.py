"""Actors for ActorExitRequest and ChildActorExited: parents that report, children that note."""
from __future__ import annotations

import os

from actorcore.actors import Actor, ActorExitRequest, ChildActorExited

from .basic import Echo, ExitReporter


class Parent(Actor):
    """("spawn", n, collector): n ExitReporter children reporting to collector.
    On exit it forwards every ChildActorExited to the collector. Answers
    ("pid?",)."""

    keep_children = False
    child_class: type = ExitReporter

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("spawn",):
            _, n, self.collector = message
            self.kids = [self.createActor(self.child_class) for _ in range(n)]
            for k in self.kids:
                self.send(k, ("report-to", self.collector))
            self.send(sender, list(self.kids))
        elif isinstance(message, ActorExitRequest):
            self.send(self.collector, ("parent-exit", message.isRecursive))
            if self.keep_children:
                message.notRecursive()
        elif isinstance(message, ChildActorExited):
            self.send(self.collector, ("parent-saw-child-exit", message.childAddress))
        elif message == ("pid?",):
            self.send(sender, os.getpid())
        elif message == "ok":
            pass


class KeepingParent(Parent):
    keep_children = True


class Noter(ExitReporter):
    """ExitReporter that also tells its collector each ("note", n) it handles,
    and answers ("pid?",)."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("note",):
            self.send(self.collector, ("noted", message[1]))
        elif message == ("pid?",):
            self.send(sender, os.getpid())
        else:
            super().receiveMessage(message, sender)


class NoterParent(Parent):
    child_class = Noter


class ExitRaises(ExitReporter):
    """Reports "exit-attempt" on exit, then raises."""

    def exit_report(self):
        return "exit-attempt"

    def receiveMessage(self, message, sender):
        super().receiveMessage(message, sender)
        if isinstance(message, ActorExitRequest):
            raise RuntimeError("cleanup failed")


class CreatesWhileExiting(ExitReporter):
    """Creates a child while it exits and reports ("late-child", its address)."""

    def exit_report(self):
        return ("late-child", self.createActor(Echo))


class ForwardingParent(Actor):
    """Its children report their exit to it; it forwards all it sees to a collector."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("spawn",):
            _, n, self.collector = message
            self.kids = [self.createActor(ExitReporter) for _ in range(n)]
            for k in self.kids:
                self.send(k, ("report-to", self.myAddress))
            self.send(sender, list(self.kids))
        elif isinstance(message, ActorExitRequest):
            self.send(self.collector, "parent-exit")
        elif isinstance(message, ChildActorExited):
            self.send(self.collector, ("child-exited", message.childAddress))
        else:
            self.send(self.collector, ("other", message))


class Grandparent(Parent):
    child_class = NoterParent
