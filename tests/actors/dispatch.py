"""ActorTypeDispatcher actors and the message classes they dispatch on."""
from __future__ import annotations

from actorcore.actors import ActorTypeDispatcher


class Report:
    pass


class Base:
    def __init__(self, v=0):
        self.v = v


class Derived(Base):
    pass


class Other:
    pass


class Typed(ActorTypeDispatcher):
    def __init__(self):
        super().__init__()
        self.calls = []

    def receiveMsg_Report(self, message, sender):
        self.send(sender, list(self.calls))

    def receiveMsg_str(self, message, sender):
        self.calls.append(("str", message))

    def receiveMsg_int(self, message, sender):
        self.calls.append(("int", message))

    def receiveMsg_Base(self, message, sender):
        self.calls.append(("Base", type(message).__name__))

    def receiveMsg_Derived(self, message, sender):
        self.calls.append(("Derived", message.v))
        if message.v == "super":
            return self.SUPER


class TypedChild(Typed):
    def receiveMsg_str(self, message, sender):
        self.calls.append(("child-str", message))
        if message.startswith("up"):
            return self.SUPER


class TypedGrandChild(TypedChild):
    """Inherits receiveMsg_str; it must run once, not once per class."""


class WithUnrecognized(Typed):
    def receiveUnrecognizedMessage(self, message, sender):
        self.calls.append(("unrecognized", message))


class Direct(Typed):
    def receiveMessage(self, message, sender):
        self.send(sender, ("direct", message))


class ExitAware(ActorTypeDispatcher):
    def receiveMsg_tuple(self, message, sender):
        self.collector = message[1]
        self.send(sender, "ok")

    def receiveMsg_ActorExitRequest(self, message, sender):
        self.send(self.collector, "exit-seen")
