"""docs/api.md §2.5, §5.3, §5.5: bad input never breaks the system."""
from __future__ import annotations

import pytest

from actorcore import testing
from actorcore.actors import PoisonMessage

from .actors.basic import Echo, Mutator
from .actors.failures import AlwaysFails, SendsUnpicklable
from .actors.messaging import Relay
from .helpers import WAIT


def _alive(asys):
    assert asys.ask(asys.createActor(Echo), "alive", WAIT) == "alive"


def test_actor_failing_on_every_message(asys):
    a = asys.createActor(AlwaysFails)
    for m in ("a", 1, ("t",)):
        reply = asys.ask(a, m, WAIT)
        assert isinstance(reply, PoisonMessage)
        assert reply.poisonMessage == m
        assert "ValueError" in reply.details
    _alive(asys)


def test_unpicklable_message_from_actor(asys, asys_info):
    copies = testing.declared(asys_info, "copies_messages")
    target = asys.createActor(Echo)
    a = asys.createActor(SendsUnpicklable)
    reply = asys.ask(a, ("go", target), WAIT)
    if copies:
        assert reply is not None and reply[0] == "poison", reply
    else:
        # nothing copied: the Echo got (and returned) the lock itself
        assert reply == ("reply", "lock")
    _alive(asys)


def test_unpicklable_message_from_outside(asys, asys_info):
    copies = testing.declared(asys_info, "copies_messages")
    e = asys.createActor(Echo)
    msg = lambda: None  # noqa: E731
    if copies:  # it cannot be pickled: it comes back as poison
        reply = asys.ask(e, msg, WAIT)
        assert isinstance(reply, PoisonMessage), reply
        assert reply.poisonMessage is msg
    else:  # the very object is passed
        assert asys.ask(e, msg, WAIT) is msg
    _alive(asys)


@pytest.mark.requires(copies_messages=False)
def test_simple_base_passes_the_very_object(asys):
    m = ["orig"]
    assert asys.ask(asys.createActor(Mutator), m, WAIT) is m
    assert m == ["orig", "mutated"]


@pytest.mark.requires("copies_messages")
def test_multiprocess_bases_copy_messages(asys):
    m = ["orig"]
    assert asys.ask(asys.createActor(Mutator), m, WAIT) == ["orig", "mutated"]
    assert m == ["orig"]


def test_create_with_unusual_requirements(asys):
    for reqs in (None, {}, {"a": [1, 2]}, ("t",), "text"):
        echo = asys.createActor(Echo, targetActorRequirements=reqs)
        assert asys.ask(echo, ("made with", reqs), WAIT) == ("made with", reqs)
    _alive(asys)


def test_large_message(asys, asys_base):
    big = "x" * 1_000_000
    assert asys.ask(asys.createActor(Echo), big, WAIT) == big
    _alive(asys)


def test_send_to_self(asys):

    r = asys.createActor(Relay)
    assert asys.ask(r, ("relay", r, "loop-free"), WAIT) == "relayed"
    _alive(asys)
