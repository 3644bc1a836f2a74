"""docs/api.md §4: public constructor signatures, attributes and equality of system messages."""
from __future__ import annotations

import pickle
from datetime import timedelta

from actorcore.actors import (
    ActorExitRequest,
    ActorSystemConventionUpdate,
    ChildActorExited,
    DeadEnvelope,
    PoisonMessage,
    Thespian_StatusReq,
    ThespianWatch,
    ValidatedSource,
    ValidateSource,
    WakeupMessage,
    WatchMessage,
)


def test_exit_request_recursive_flag():
    assert ActorExitRequest().isRecursive is True
    assert ActorExitRequest(recursive=False).isRecursive is False
    req = ActorExitRequest()
    req.notRecursive()
    assert req.isRecursive is False


def test_any_two_exit_requests_are_equal():
    assert ActorExitRequest() == ActorExitRequest(False)
    a = ActorExitRequest()
    a.notRecursive()
    assert a == ActorExitRequest()


def test_child_actor_exited():
    assert ChildActorExited("x").childAddress == "x"


def test_poison_message_equality_ignores_details():
    p = PoisonMessage("m", details="trace")
    assert p.poisonMessage == "m"
    assert p.details == "trace"
    assert PoisonMessage("m") == PoisonMessage("m", details="other")
    assert PoisonMessage("m") != PoisonMessage("n")
    assert PoisonMessage("m").details is None


def test_wakeup_message():
    w = WakeupMessage(timedelta(seconds=1), payload="p")
    assert w.delayPeriod == timedelta(seconds=1)
    assert w.payload == "p"
    assert WakeupMessage(1) == WakeupMessage(1)
    assert WakeupMessage(1).payload is None
    assert WakeupMessage(1, "a") != WakeupMessage(1, "b")
    assert WakeupMessage(1, "a") != WakeupMessage(2, "a")


def test_dead_envelope():
    d = DeadEnvelope("addr", "msg")
    assert d.deadAddress == "addr" and d.deadMessage == "msg"
    assert d == DeadEnvelope("addr", "msg")
    assert d != DeadEnvelope("addr", "other")


def test_convention_update():
    u = ActorSystemConventionUpdate("admin", {"a": 1}, True)
    assert u.remoteAdminAddress == "admin"
    assert u.remoteCapabilities == {"a": 1}
    assert u.remoteAdded is True
    assert ActorSystemConventionUpdate("admin", added=False).remoteAdded is False


def test_source_messages_equal_on_hash_only():
    assert ValidateSource("h", b"1", "i") == ValidateSource("h", b"2", "j")
    assert ValidatedSource("h", b"z") == ValidatedSource("h", None)
    assert ValidateSource("h", b"1").sourceInfo is None
    assert ValidatedSource("h", None, "info").sourceInfo == "info"


def test_watch_types():
    assert ThespianWatch([3, 4]).filenos == [3, 4]
    assert WatchMessage([3]).ready == [3]


def test_messages_pickle():
    for m in (ActorExitRequest(), ChildActorExited("a"), PoisonMessage("m", "d"),
              WakeupMessage(timedelta(seconds=2), "p"), DeadEnvelope("a", "m"),
              Thespian_StatusReq()):
        assert pickle.loads(pickle.dumps(m)) == m
