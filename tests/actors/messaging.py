"""Actors for tell, ask and listen: relays, system-message noise, late replies."""
from __future__ import annotations

from actorcore.actors import (
    Actor,
    ActorExitRequest,
    ChildActorExited,
    DeadEnvelope,
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_SystemStatus,
    WakeupMessage,
)

#: how many numbers a Pump sends
N = 200


class Relay(Actor):
    """("relay", target, msg): sends msg to target; reports send exceptions."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("relay",):
            _, target, msg = message
            try:
                self.send(target, msg)
            except Exception as exc:
                self.send(sender, ("raised", type(exc).__name__))
                return
            self.send(sender, "relayed")


class SystemNoise(Actor):
    """Sends system messages to the asker, then something else."""

    def receiveMessage(self, message, sender):
        if message == "swallowed":
            for m in (WakeupMessage(1), ChildActorExited(self.myAddress),
                      DeadEnvelope(self.myAddress, "x"), ActorExitRequest(),
                      PoisonMessage(ActorExitRequest())):
                self.send(sender, m)
            self.send(sender, "final")
        elif message == "poison":
            self.send(sender, PoisonMessage("p"))
        elif message == "actor-status":
            self.send(sender, Thespian_ActorStatus())
        elif message == "system-status":
            self.send(sender, Thespian_SystemStatus())
        elif message == "two":
            self.send(sender, "first")
            self.send(sender, "second")


class Recorder(Actor):
    def __init__(self):
        super().__init__()
        self.got = []

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("done",):
            self.send(message[1], list(self.got))
        elif message == "get":
            self.send(sender, list(self.got))
        elif isinstance(message, int):
            self.got.append(message)


class Pump(Actor):
    """("run", target, reply_to): sends N numbers then ("done", reply_to) to target;
    "child": the same to a child created right now (provisional address)."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("run",):
            target = message[1] if message[1] is not None else self.createActor(Recorder)
            for i in range(N):
                self.send(target, i)
            self.send(target, ("done", sender))


class LateReplier(Actor):
    def receiveMessage(self, message, sender):
        from actorcore.actors import WakeupMessage as _W

        if message == "slow":
            self.asker = sender
            self.wakeupAfter(0.3)
        elif isinstance(message, _W):
            self.send(self.asker, "late")


class Chatter(Actor):
    """("chat", n): sends the sender 0 .. n-1, one message each; "end?": replies "end"."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("chat",):
            for i in range(message[1]):
                self.send(sender, i)
        elif message == "end?":
            self.send(sender, "end")


class Delegate(Actor):
    """Hands each message, with its sender, to a child Echo-like helper that
    answers the sender itself: the reply to an ask comes from another actor."""

    def receiveMessage(self, message, sender):
        if isinstance(message, (ActorExitRequest, ChildActorExited)):
            return
        if not hasattr(self, "helper"):
            self.helper = self.createActor(Answerer)
        self.send(self.helper, (sender, message))


class Answerer(Actor):
    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and len(message) == 2:
            asker, msg = message
            self.send(asker, ("answered", msg))
