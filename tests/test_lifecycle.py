"""docs/api.md §2.1, §2.4, §3.3: creating actors and what happens to their __init__."""
from __future__ import annotations

import pytest

from actorcore.actors import (
    ActorAddress,
    ActorSystemFailure,
    InvalidActorSpecification,
    PoisonMessage,
)

from .actors.basic import DeadLetterCollector, Echo
from .actors.lifecycle import (
    EarlySender,
    InitRaises,
    NoOverride,
    NotAnActor,
    ParentOfFailure,
    SpawnsBadSpec,
    StrSelf,
    SystemCallsInInit,
    WantsBoth,
    WantsCapabilitiesOnly,
    WantsRequirementsOnly,
)
from .helpers import GET, WAIT, collected, poll


def test_create_with_class(asys):
    addr = asys.createActor(Echo)
    assert isinstance(addr, ActorAddress)
    assert asys.ask(addr, "hello", WAIT) == "hello"


def test_create_with_qualified_string(asys):
    addr = asys.createActor("tests.actors.basic.Echo")
    assert isinstance(addr, ActorAddress)
    assert asys.ask(addr, "hello", WAIT) == "hello"


def test_bare_class_name_is_invalid(asys):
    with pytest.raises(InvalidActorSpecification):
        asys.createActor("Echo")


def test_non_actor_class_is_invalid(asys):
    with pytest.raises(InvalidActorSpecification):
        asys.createActor(NotAnActor)
    with pytest.raises(InvalidActorSpecification):
        asys.createActor("tests.actors.lifecycle.NotAnActor")


def test_non_class_non_string_is_invalid(asys):
    with pytest.raises(InvalidActorSpecification):
        asys.createActor(42)


def test_unimportable_module_raises_import_error(asys):
    with pytest.raises(ImportError):
        asys.createActor("tests.no_such_module_here.Thing")


def test_system_keeps_working_after_bad_specs(asys):
    for spec in ("Echo", NotAnActor, "tests.no_such_module_here.Thing"):
        with pytest.raises((InvalidActorSpecification, ImportError)):
            asys.createActor(spec)
    assert asys.ask(asys.createActor(Echo), 1, WAIT) == 1


def test_init_gets_capabilities_and_requirements(asys):
    addr = asys.createActor(WantsBoth, targetActorRequirements={"mem": 4})
    caps, reqs = asys.ask(addr, "?", WAIT)
    assert isinstance(caps, dict)
    assert caps["Thespian Generation"] == (3, 0)
    assert reqs == {"mem": 4}


def test_init_gets_only_what_it_declares(asys):
    addr = asys.createActor(WantsRequirementsOnly, targetActorRequirements={"k": "v"})
    assert asys.ask(addr, "?", WAIT) == {"k": "v"}
    addr = asys.createActor(WantsCapabilitiesOnly)
    caps = asys.ask(addr, "?", WAIT)
    assert caps["Thespian ActorSystem Name"] == asys.capabilities["Thespian ActorSystem Name"]


def test_system_calls_inside_init_raise(asys):
    addr = asys.createActor(SystemCallsInInit)
    results = asys.ask(addr, "?", WAIT)
    assert isinstance(results, dict)
    for name, outcome in results.items():
        assert outcome is not None, f"{name} inside __init__ did not raise"
        assert outcome[1], f"{name} inside __init__ raised with no message"


def test_init_raising_fails_external_create(asys):
    with pytest.raises(ActorSystemFailure):
        asys.createActor(InitRaises)
    assert asys.ask(asys.createActor(Echo), "still", WAIT) == "still"


def test_child_init_raising_reaches_parent_and_dead_letters(asys, asys_base):
    dlh = asys.createActor(DeadLetterCollector)
    assert asys.ask(dlh, ("register",), WAIT) == "registered"
    parent = asys.createActor(ParentOfFailure)
    assert asys.ask(parent, ("go", dlh), WAIT) == ("exited", True)
    got = collected(asys, dlh, lambda g: any(e.deadMessage == "to-the-dead" for e in g))
    assert [e.deadMessage for e in got].count("to-the-dead") == 1


def test_messages_queued_for_failed_child_are_not_lost(asys, asys_base):
    """§2.4: queued messages come back as PoisonMessage("Child Aborted"); on a base
    that knows of the failure before the send, the send is a dead letter."""
    dlh = asys.createActor(DeadLetterCollector)
    asys.ask(dlh, ("register",), WAIT)
    parent = asys.createActor(EarlySender)
    assert asys.ask(parent, "go", WAIT) == "started"
    seen = poll(asys, parent, ("seen?",), lambda s: any(x[0] == "exited" for x in s))
    assert ("exited", True) in seen
    poisons = [x for x in seen if x[0] == "poison"]
    dead = [e for e in asys.ask(dlh, GET, WAIT) if e.deadMessage == "early"]
    assert len(poisons) + len(dead) == 1, (seen, dead)
    if poisons:
        assert poisons[0][1] == "early"


def test_base_receive_message_fails_loudly(asys):
    addr = asys.createActor(NoOverride)
    reply = asys.ask(addr, "anything", WAIT)
    assert isinstance(reply, PoisonMessage)
    assert reply.poisonMessage == "anything"


def test_str_of_actor_and_stable_address(asys):
    addr = asys.createActor(StrSelf)
    text, a1, a2 = asys.ask(addr, "?", WAIT)
    assert a1 == addr and a2 == addr
    assert text.startswith("{A:StrSelf @ ") and text.endswith("}")
    assert "ActorAddr-" in text


@pytest.mark.parametrize("spec,source", [
    ("Echo", None),
    ("tests.no_such_module_here.Thing", None),
    ("tests.actors.lifecycle.NotAnActor", None),
    ("tests.actors.lifecycle.InitRaises", None),
    ("tests.actors.basic.Echo", "0" * 32),
])
def test_actor_create_failures_arrive_as_child_actor_exited(asys, spec, source):
    p = asys.createActor(SpawnsBadSpec)
    assert asys.ask(p, ("go", spec, source), WAIT) == ("exited", True)
    assert asys.ask(asys.createActor(Echo), "alive", WAIT) == "alive"
