"""docs/api.md §1.3: ``actorcore.initmsgs`` — hold messages until initialised."""
from __future__ import annotations

import pytest

from actorcore.actors import Actor, ActorExitRequest, PoisonMessage
from actorcore.initmsgs import initializing_messages
from actorcore.testing import until

from .actors.basic import Collector, Spawner
from .actors.decorated import Configured, ConfiguredTransient, Eager, TransientConfigured
from .helpers import WAIT, collected


def test_initializing_messages_holds_until_initialised_then_replays_in_order(asys):
    peer = asys.createActor(Collector)
    act = asys.createActor(Configured)
    for word in ("one", "two", "three"):
        asys.tell(act, word)
    asys.tell(act, peer)  # the address: one of two initialising messages
    # The config completes the set: initdone answers its sender (kept as config_sender).
    assert asys.ask(act, {"k": 1}, WAIT) == "initialised"
    asys.tell(act, "four")
    got = collected(asys, peer, lambda g: len(g) >= 5)
    assert got == [
        ("ready", {"k": 1}),
        ("handled", "one"),
        ("handled", "two"),
        ("handled", "three"),
        ("handled", "four"),
    ]


def test_initializing_messages_held_message_that_fails_comes_back_as_poison(asys):
    peer = asys.createActor(Collector)
    act = asys.createActor(Configured)
    asys.tell(act, "bad")
    asys.tell(act, "two")
    asys.tell(act, peer)
    assert asys.ask(act, {"k": 2}, WAIT) == "initialised"
    poison = asys.listen(WAIT)
    assert isinstance(poison, PoisonMessage) and poison.poisonMessage == "bad"
    assert "held message fails" in (poison.details or "")
    assert collected(asys, peer, lambda g: len(g) >= 2) == [("ready", {"k": 2}), ("handled", "two")]


def test_initializing_messages_exit_before_init_returns_held_messages(asys):
    act = asys.createActor(Configured)
    asys.tell(act, "one")
    asys.tell(act, ActorExitRequest())  # system messages are never held
    poison = asys.listen(WAIT)
    assert isinstance(poison, PoisonMessage) and poison.poisonMessage == "one"


def test_initializing_messages_passthru_delivers_at_once(asys):
    peer = asys.createActor(Collector)
    act = asys.createActor(Eager)
    assert asys.ask(act, "early", WAIT) == ("seen", "early", False)
    asys.tell(act, peer)
    assert asys.ask(act, "late", WAIT) == ("seen", "late", True)


@pytest.mark.parametrize("cls", [ConfiguredTransient, TransientConfigured])
def test_initializing_messages_with_transient_in_either_order(asys, cls):
    nanny = asys.createActor(Spawner)
    act = asys.ask(nanny, ("spawn", cls), WAIT)
    peer = asys.createActor(Collector)
    asys.tell(act, "early")
    asys.tell(act, peer)
    assert collected(asys, peer, lambda g: len(g) >= 1) == [("handled", "early")]
    until(lambda: asys.ask(nanny, "exited", WAIT) == [act.addressDetails], limit=WAIT)


def test_initializing_messages_refuses_bad_initset():
    for bad in ([], [("attr",)], [(1, str)], [("attr", "str")], None):
        with pytest.raises(TypeError, match="initializing_messages"):
            initializing_messages(bad)
    with pytest.raises(TypeError, match="initdone"):
        initializing_messages([("a", str)], initdone=print)
    with pytest.raises(TypeError, match="Actor subclass"):
        initializing_messages([("a", str)])(object)


def test_initializing_messages_keeps_state_per_instance():
    # Thespian kept the held list on the class: two instances shared it.
    @initializing_messages([("a", int)])
    class Two(Actor):
        def receiveMessage(self, message, sender):
            self.seen = getattr(self, "seen", []) + [message]

    first, second = Two(), Two()
    Two.receiveMessage(first, "x", None)
    Two.receiveMessage(second, 1, None)
    assert not hasattr(second, "seen")
    Two.receiveMessage(first, 2, None)
    assert first.seen == ["x"]
