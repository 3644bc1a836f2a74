"""Actors for creation and __init__: what __init__ is given and may call, and
classes that cannot be created."""
from __future__ import annotations

from actorcore.actors import Actor, ChildActorExited, PoisonMessage

from .basic import Echo


class NotAnActor:
    def receiveMessage(self, message, sender):
        pass


class _TellsWhatInitGot(Actor):
    """Answers any message with what its __init__ was given; the subclasses
    differ only in the parameters __init__ declares."""

    given: object = None

    def receiveMessage(self, message, sender):
        self.send(sender, self.given)


class WantsBoth(_TellsWhatInitGot):
    def __init__(self, capabilities=None, requirements=None):
        super().__init__()
        self.given = (capabilities, requirements)


class WantsRequirementsOnly(_TellsWhatInitGot):
    def __init__(self, requirements):
        super().__init__()
        self.given = requirements


class WantsCapabilitiesOnly(_TellsWhatInitGot):
    def __init__(self, capabilities):
        super().__init__()
        self.given = capabilities


class SystemCallsInInit(Actor):
    """Records what each system call did inside __init__; reports it later."""

    def __init__(self):
        super().__init__()
        self.results = {}
        calls = {
            "myAddress": lambda: self.myAddress,
            "send": lambda: self.send(None, "x"),
            "createActor": lambda: self.createActor(Echo),
            "wakeupAfter": lambda: self.wakeupAfter(1),
            "handleDeadLetters": lambda: self.handleDeadLetters(),
            "updateCapability": lambda: self.updateCapability("x", 1),
        }
        for name, call in calls.items():
            try:
                call()
                self.results[name] = None
            except Exception as exc:  # record for the test
                self.results[name] = (type(exc).__name__, str(exc))

    def receiveMessage(self, message, sender):
        self.send(sender, self.results)


class InitRaises(Actor):
    def __init__(self):
        super().__init__()
        raise RuntimeError("init refused")

    def receiveMessage(self, message, sender):
        pass


class NoOverride(Actor):
    pass


class StrSelf(Actor):
    def receiveMessage(self, message, sender):
        self.send(sender, (str(self), self.myAddress, self.myAddress))


class ParentOfFailure(Actor):
    """On ("go", dlh): creates an InitRaises child and waits for its exit,
    then sends to the dead child and reports to the asker."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("go",):
            self.asker = sender
            self.child = self.createActor(InitRaises)
        elif isinstance(message, ChildActorExited):
            same = message.childAddress == self.child
            self.send(self.child, "to-the-dead")
            self.send(self.asker, ("exited", same))


class EarlySender(Actor):
    """Sends to a failing child right after createActor; reports what came back."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def receiveMessage(self, message, sender):
        if message == "go":
            self.child = self.createActor(InitRaises)
            self.send(self.child, "early")
            self.send(sender, "started")
        elif isinstance(message, PoisonMessage):
            self.seen.append(("poison", message.poisonMessage, message.details))
        elif isinstance(message, ChildActorExited):
            self.seen.append(("exited", message.childAddress == self.child))
        elif message == ("seen?",):
            self.send(sender, list(self.seen))


class SpawnsBadSpec(Actor):
    """("go", spec, sourceHash): createActor must not raise in the actor; the
    failure arrives as ChildActorExited."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("go",):
            self.asker = sender
            try:
                self.child = self.createActor(message[1], sourceHash=message[2])
            except Exception as exc:
                self.send(sender, ("raised", type(exc).__name__))
        elif isinstance(message, ChildActorExited):
            self.send(self.asker, ("exited", message.childAddress == self.child))


def _make_bound():
    class Bound(Actor):
        def receiveMessage(self, message, sender):
            self.send(sender, ("bound", message))
    return Bound


Bound = _make_bound()  # importable as tests.actors.lifecycle.Bound
