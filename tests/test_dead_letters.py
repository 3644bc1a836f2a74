"""docs/api.md §2.7, §5.7: dead letter handling."""
from __future__ import annotations

from actorcore import testing
from actorcore.actors import (
    ActorAddress,
    ActorExitRequest,
    ChildActorExited,
    DeadEnvelope,
)

from .actors.basic import DeadLetterCollector, Echo
from .actors.messaging import Relay
from .actors.names import Requester
from .helpers import GET, WAIT, collected, settle


def _dead(asys):
    a = asys.createActor(Echo)
    asys.tell(a, ActorExitRequest())
    settle(asys, 0.3)
    assert asys.ask(a, "probe", 1) is None
    return a


def _handler(asys):
    h = asys.createActor(DeadLetterCollector)
    assert asys.ask(h, ("register",), WAIT) == "registered"
    return h


def test_handler_receives_dead_envelope(asys):
    dead = _dead(asys)
    h = _handler(asys)
    asys.tell(dead, {"k": "v"})
    got = collected(asys, h, lambda g: len(g) >= 1)
    env = got[0]
    assert isinstance(env, DeadEnvelope)
    assert isinstance(env.deadAddress, ActorAddress)
    assert env.deadAddress == dead
    assert env.deadMessage == {"k": "v"}


def test_ask_to_dead_actor_returns_none(asys):
    dead = _dead(asys)
    assert asys.ask(dead, "anyone?", 1) is None


def test_latest_registration_wins(asys):
    dead = _dead(asys)
    h1 = _handler(asys)
    h2 = _handler(asys)
    asys.tell(dead, "m")
    got2 = collected(asys, h2, lambda g: len(g) >= 1)
    settle(asys, 0.3)
    assert [e.deadMessage for e in got2] == ["m"]
    assert asys.ask(h1, GET, WAIT) == []


def test_unregister_stops_delivery(asys):
    dead = _dead(asys)
    h = _handler(asys)
    assert asys.ask(h, ("unregister",), WAIT) == "unregistered"
    asys.tell(dead, "m")
    settle(asys)
    assert asys.ask(h, GET, WAIT) == []


def test_unregister_by_non_current_handler_is_noop(asys):
    dead = _dead(asys)
    h1 = _handler(asys)
    h2 = _handler(asys)
    assert asys.ask(h1, ("unregister",), WAIT) == "unregistered"
    asys.tell(dead, "m")
    got = collected(asys, h2, lambda g: len(g) >= 1)
    assert [e.deadMessage for e in got] == ["m"]


def test_handler_exit_reverts_to_default(asys):
    dead = _dead(asys)
    h = _handler(asys)
    asys.tell(h, ActorExitRequest())
    settle(asys, 0.3)
    asys.tell(dead, "m")  # default: discarded, nothing breaks
    assert asys.ask(asys.createActor(Echo), "alive", WAIT) == "alive"


def test_dead_envelope_is_never_rewrapped(asys):
    dead = _dead(asys)
    h = _handler(asys)
    asys.tell(dead, DeadEnvelope(dead, "inner"))
    asys.tell(dead, ChildActorExited(dead))
    asys.tell(dead, "marker")
    got = collected(asys, h, lambda g: any(e.deadMessage == "marker" for e in g))
    settle(asys)
    got = asys.ask(h, GET, WAIT)
    assert not any(isinstance(e.deadMessage, (DeadEnvelope, ChildActorExited)) for e in got), got


def test_dead_letters_from_actor_sends(asys):

    dead = _dead(asys)
    h = _handler(asys)
    req = asys.createActor(Requester)
    assert asys.ask(req, ("kill", dead, h), WAIT) == "sent"
    # Requester sent ActorExitRequest to a dead actor; a user message next:

    relay = asys.createActor(Relay)
    assert asys.ask(relay, ("relay", dead, "from-actor"), WAIT) == "relayed"
    got = collected(asys, h, lambda g: any(e.deadMessage == "from-actor" for e in g))
    env = [e for e in got if e.deadMessage == "from-actor"]
    assert len(env) == 1 and env[0].deadAddress == dead


def test_exit_of_current_handler_reverts_to_default_not_previous(asys):
    dead = _dead(asys)
    h1 = _handler(asys)
    h2 = _handler(asys)
    asys.tell(h2, ActorExitRequest())
    settle(asys, 0.3)
    asys.tell(dead, "m")
    settle(asys)
    assert asys.ask(h1, GET, WAIT) == []


def test_messages_waiting_when_the_actor_exits_reach_the_handler(asys, asys_info):
    """Sent right behind the ActorExitRequest, so they reach the actor (or
    the admin) before it is gone: none is handled, each becomes a dead letter."""
    routed = asys.capabilities.get("Admin Routing") or asys.capabilities.get("Outbound Only")
    if not routed:  # with either, everything goes through the admin, which keeps them
        testing.require(asys_info, keeps_in_flight=True)
    h = _handler(asys)
    a = asys.createActor(Echo)
    assert asys.ask(a, "up?", WAIT) == "up?"
    asys.tell(a, ActorExitRequest())
    for n in range(20):
        asys.tell(a, ("late", n))
    got = collected(asys, h, lambda g: len(g) >= 20)
    assert sorted(e.deadMessage for e in got) == [("late", n) for n in range(20)]
    assert all(e.deadAddress == a for e in got)
    assert asys.listen(0.2) is None, "the exited actor handled a message"
