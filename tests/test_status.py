"""docs/api.md §4.6, §3.12: status queries."""
from __future__ import annotations

from actorcore.actors import (
    ActorAddress,
    Thespian_ActorStatus,
    Thespian_StatusReq,
    Thespian_SystemStatus,
)

from .actors.basic import Collector
from .helpers import GET, WAIT


def test_actor_status(asys):
    a = asys.createActor(Collector)
    status = asys.ask(a, Thespian_StatusReq(), WAIT)
    assert isinstance(status, Thespian_ActorStatus)
    assert status.actorAddress == a
    assert "Collector" in status.actorClass


def test_actor_code_never_sees_status_request(asys):
    a = asys.createActor(Collector)
    asys.ask(a, Thespian_StatusReq(), WAIT)
    asys.tell(a, "user")
    assert [type(m).__name__ for m in asys.ask(a, GET, WAIT)] == ["str"]


def test_system_status(asys):
    assert isinstance(asys.systemAddress, ActorAddress)
    status = asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT)
    assert isinstance(status, Thespian_SystemStatus)


def test_system_keeps_working_after_status(asys):
    asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT)
    a = asys.createActor(Collector)
    asys.ask(a, Thespian_StatusReq(), WAIT)
    assert asys.ask(a, GET, WAIT) == []
