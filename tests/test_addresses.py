"""docs/api.md §2.16: ActorAddress."""
from __future__ import annotations

import pickle

import pytest

from actorcore.actors import ActorAddress

from .actors.addresses import Family, Forwarder, Parent, ReplyTo, SenderIs
from .actors.basic import Echo
from .helpers import WAIT


def test_equality(asys):
    a = asys.createActor(Echo)
    b = asys.createActor(Echo)
    assert a == a
    assert a != b
    assert not (a == b)
    assert asys.ask(a, ("self?",), WAIT) == a


@pytest.mark.parametrize("other", ["ActorAddr-x", None, 1, object(), ("a",)])
def test_comparison_with_non_address_is_false_both_ways(asys, other):
    a = asys.createActor(Echo)
    assert (a == other) is False
    assert (other == a) is False
    assert (a != other) is True
    assert (other != a) is True


def test_not_hashable(asys):
    a = asys.createActor(Echo)
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(TypeError):
        {a}


def test_str_prefix(asys):
    a = asys.createActor(Echo)
    assert str(a).startswith("ActorAddr-")
    assert isinstance(a.actorAddressString, str)
    assert str(asys.systemAddress).startswith("ActorAddr-")


def test_picklable_and_still_usable(asys):
    a = asys.createActor(Echo)
    b = pickle.loads(pickle.dumps(a))
    assert isinstance(b, ActorAddress)
    assert b == a
    assert asys.ask(b, "via-copy", WAIT) == "via-copy"


def test_provisional_address_equals_real_address(asys):
    p = asys.createActor(Parent)
    assert asys.ask(p, "go", WAIT) == (True, True, True, False, True)


def test_addresses_inside_messages_stay_valid(asys):
    f = asys.createActor(Forwarder)
    r = asys.createActor(ReplyTo)
    me = _ext_address(asys)
    assert isinstance(me, ActorAddress)
    assert asys.ask(f, (r, "hi", me), WAIT) == ("via", "hi")


def _ext_address(asys):
    """The external endpoint's own address, learnt from an actor's sender."""
    class_addr = asys.createActor(SenderIs)
    return asys.ask(class_addr, "?", WAIT)


def test_addresses_of_independent_systems_differ(asys, asys_base, asys_info):
    """§2.16: == compares the target; another system's actor is another target."""
    from actorcore.actors import ActorSystem
    from actorcore.testing import capabilities_for as caps_for

    other = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=False,
                        transientUnique=True)
    try:
        mine = asys.createActor(Echo)
        theirs = other.createActor(Echo)
        assert mine != theirs
        assert asys.systemAddress != other.systemAddress
    finally:
        other.shutdown()


# Thespian keeps printed addresses to these, so they paste into logs, shells and file names
PRINTABLE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-~/():., '|>")


def test_printed_addresses_keep_to_thespians_characters(asys):
    texts = asys.ask(asys.createActor(Family), "addresses", WAIT)
    texts += asys.ask(asys.createActor(Family, globalName="printed"), "addresses", WAIT)
    with asys.private() as ctx:
        texts += ctx.ask(ctx.createActor(Family), "addresses", WAIT)
    texts.append(str(asys.systemAddress))
    assert len(texts) == 10
    for text in texts:
        assert text.startswith("ActorAddr-")
        assert set(text) <= PRINTABLE, text
    # the system's own endpoint asked twice (2, 5); everything else prints differently
    assert texts[2] == texts[5]
    assert len(set(texts)) == 9


def test_printed_address_escapes_what_falls_outside_and_stays_distinct():
    details = ["S#1", "S~231", "T1+2:3", "T1~2b2:3", "é", "€", "\U0001f600", "a b"]
    texts = [ActorAddress(d).actorAddressString for d in details]
    for text in texts:
        assert set(text) <= PRINTABLE, text
    assert len(set(texts)) == len(details)
    assert texts[-1] == "a b"  # text already printable is left as it is
