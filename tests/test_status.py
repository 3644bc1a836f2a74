"""docs/api.md §4.6, §3.12: status queries."""
from __future__ import annotations

from actorcore.actors import (
    Actor,
    ActorAddress,
    Thespian_ActorStatus,
    Thespian_StatusReq,
    Thespian_SystemStatus,
)

from .helpers import WAIT


class Counting(Actor):
    def __init__(self):
        super().__init__()
        self.seen = []

    def receiveMessage(self, message, sender):
        if message == "seen?":
            self.send(sender, [type(m).__name__ for m in self.seen])
        else:
            self.seen.append(message)


def test_actor_status(asys):
    a = asys.createActor(Counting)
    status = asys.ask(a, Thespian_StatusReq(), WAIT)
    assert isinstance(status, Thespian_ActorStatus)
    assert status.actorAddress == a
    assert "Counting" in status.actorClass


def test_actor_code_never_sees_status_request(asys):
    a = asys.createActor(Counting)
    asys.ask(a, Thespian_StatusReq(), WAIT)
    asys.tell(a, "user")
    assert asys.ask(a, "seen?", WAIT) == ["str"]


def test_system_status(asys):
    assert isinstance(asys.systemAddress, ActorAddress)
    status = asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT)
    assert isinstance(status, Thespian_SystemStatus)


def test_system_keeps_working_after_status(asys):
    asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT)
    a = asys.createActor(Counting)
    asys.ask(a, Thespian_StatusReq(), WAIT)
    assert asys.ask(a, "seen?", WAIT) == []
