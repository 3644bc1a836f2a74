"""docs/api.md §2.5, §3.4–§3.6, §3.10, §5.1: tell, ask, listen, timeouts, ordering."""
from __future__ import annotations

from datetime import timedelta

import pytest

from actorcore.actors import (
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_SystemStatus,
)

from .actors.basic import Echo, Silent
from .actors.messaging import (
    Chatter,
    Delegate,
    LateReplier,
    N,
    Pump,
    Recorder,
    Relay,
    SystemNoise,
)
from .helpers import WAIT, poll


def test_tell_returns_none(asys):
    assert asys.tell(asys.createActor(Echo), "x") is None


def test_ask_returns_reply(asys):
    assert asys.ask(asys.createActor(Echo), ("a", 1), WAIT) == ("a", 1)


def test_ask_returns_none_on_timeout(asys):
    assert asys.ask(asys.createActor(Silent), "x", 0.3) is None


@pytest.mark.parametrize("timeout", [1, 0.5, timedelta(seconds=1), None])
def test_timeout_types_accepted(asys, timeout):
    assert asys.ask(asys.createActor(Echo), "t", timeout) == "t"


@pytest.mark.parametrize("timeout", [0, 0.2, timedelta(milliseconds=200)])
def test_listen_timeout_types(asys, timeout):
    assert asys.listen(timeout) is None


@pytest.mark.parametrize("bad", ["1", [1], object(), b"1"])
def test_bad_timeout_type_is_type_error(asys, bad):
    e = asys.createActor(Echo)
    with pytest.raises(TypeError):
        asys.ask(e, "x", bad)
    with pytest.raises(TypeError):
        asys.listen(bad)


@pytest.mark.parametrize("neg", [-1, -0.5, timedelta(seconds=-3)])
def test_negative_timeout_acts_as_zero(asys, neg):
    assert asys.ask(asys.createActor(Silent), "x", neg) is None
    assert asys.listen(neg) is None


@pytest.mark.parametrize("bad", ["addr", None, 42, ("a", 1)])
def test_tell_and_ask_to_non_address_is_value_error(asys, bad):
    with pytest.raises(ValueError):
        asys.tell(bad, "x")
    with pytest.raises(ValueError):
        asys.ask(bad, "x", 1)


def test_actor_send_to_non_address_is_invalid_actor_address(asys):
    r = asys.createActor(Relay)
    assert asys.ask(r, ("relay", "not-an-address", "m"), WAIT) == ("raised", "InvalidActorAddress")
    assert asys.ask(r, ("relay", None, "m"), WAIT) == ("raised", "InvalidActorAddress")


def test_ask_swallows_system_messages(asys):
    assert asys.ask(asys.createActor(SystemNoise), "swallowed", WAIT) == "final"


@pytest.mark.parametrize("what,kind", [("poison", PoisonMessage),
                                       ("actor-status", Thespian_ActorStatus),
                                       ("system-status", Thespian_SystemStatus)])
def test_ask_passes_poison_and_status(asys, what, kind):
    assert isinstance(asys.ask(asys.createActor(SystemNoise), what, WAIT), kind)


def test_extra_replies_stay_queued_for_listen(asys):
    a = asys.createActor(SystemNoise)
    assert asys.ask(a, "two", WAIT) == "first"
    assert asys.listen(WAIT) == "second"
    assert asys.listen(0.3) is None


def test_fifo_external_to_actor(asys, asys_base):
    r = asys.createActor(Recorder)
    for i in range(N):
        asys.tell(r, i)
    got = poll(asys, r, "get", lambda g: len(g) >= N)
    assert got == list(range(N))


def test_fifo_actor_to_actor(asys, asys_base):
    r = asys.createActor(Recorder)
    p = asys.createActor(Pump)
    assert asys.ask(p, ("run", r), WAIT) == list(range(N))


def test_fifo_to_provisional_address(asys, asys_base):
    p = asys.createActor(Pump)
    assert asys.ask(p, ("run", None), WAIT) == list(range(N))


def test_an_actors_messages_to_an_endpoint_keep_their_order_when_an_ask_follows_them(asys):
    """An actor sends the program 50 messages, then answers an ask the
    program makes after taking only the first: the answer comes after the
    other 49 (on rayBase an ask's reply may come straight back as the result
    of the call that carried the request; it must not overtake these)."""
    c = asys.createActor(Chatter)
    for _round in range(3):  # later rounds find the program's channel to the actor open
        asys.tell(c, ("chat", 50))
        got = [asys.listen(WAIT), asys.ask(c, "end?", WAIT)]
        while got[-1] not in ("end", None):
            got.append(asys.listen(WAIT))
        assert got == [*range(50), "end"]


def test_an_ask_answered_by_another_actor_gets_that_answer(asys):
    d = asys.createActor(Delegate)
    for i in range(3):
        assert asys.ask(d, ("q", i), WAIT) == ("answered", ("q", i))
    assert asys.ask(asys.createActor(Echo), "after", WAIT) == "after"
    assert asys.listen(0.3) is None


def test_stray_late_reply_does_not_satisfy_create(asys):
    a = asys.createActor(LateReplier)
    assert asys.ask(a, "slow", 0.01) is None
    import time

    time.sleep(0.4)
    addr = asys.createActor(Echo)
    from actorcore.actors import ActorAddress

    assert isinstance(addr, ActorAddress)
    assert asys.listen(WAIT) == "late"
    assert asys.ask(addr, "fresh", WAIT) == "fresh"
