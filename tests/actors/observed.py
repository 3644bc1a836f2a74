"""Actors whose counters a status check can predict (tests/test_status_counters.py)."""
from __future__ import annotations

from actorcore.actors import Actor, ActorExitRequest, ChildActorExited, Thespian_StatusReq


class Counted(Actor):
    """``("send", target, n)`` sends ``n`` messages to ``target``; ``"boom"``
    raises on its first attempt only; ``("sleep later",)`` arms a wakeup an
    hour away; ``("kids", n)`` makes ``n`` children; ``("status of", addr)``
    asks ``addr`` for its status and passes the answer to whoever asked."""

    def __init__(self) -> None:
        super().__init__()
        self.boomed = False
        self.asker = None

    def receiveMessage(self, message, sender):
        if isinstance(message, (ActorExitRequest, ChildActorExited)):
            return
        if isinstance(message, tuple) and message[:1] == ("send",):
            for i in range(message[2]):
                self.send(message[1], ("item", i))
            self.send(sender, "sent")
        elif message == "boom":
            if not self.boomed:
                self.boomed = True
                raise RuntimeError("first attempt fails (on purpose)")
            self.send(sender, "survived")
        elif message == ("sleep later",):
            self.wakeupAfter(3600)
            self.send(sender, "armed")
        elif isinstance(message, tuple) and message[:1] == ("kids",):
            kids = [self.createActor(Counted) for _ in range(message[1])]
            self.send(sender, kids)
        elif isinstance(message, tuple) and message[:1] == ("status of",):
            self.asker = sender
            self.send(message[1], Thespian_StatusReq())
        elif self.asker is not None and type(message).__name__ == "Thespian_ActorStatus":
            self.send(self.asker, message)
        elif message == "ping":
            self.send(sender, "pong")
