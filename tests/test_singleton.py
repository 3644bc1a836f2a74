"""docs/api.md §3.1, §3.2, §7.1: the process singleton, shutdown and logDefs."""
from __future__ import annotations

import logging

import pytest

from actorcore.actors import ActorSystem, ActorSystemFailure
from actorcore.testing import capabilities_for as caps_for

from .actors.basic import Echo
from .helpers import WAIT


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


@pytest.fixture
def systems(asys_base, asys_info):
    """Start systems of the base under test; every one is shut down afterwards."""
    started = []

    def start(transient=False, caps=None, logDefs=False, base=asys_base):
        c = caps_for(asys_info)
        c.update(caps or {})
        s = ActorSystem(base, capabilities=c, logDefs=logDefs, transientUnique=transient)
        started.append(s)
        return s

    yield start
    for s in reversed(started):
        s.shutdown()


def test_second_construction_returns_the_same_system(systems, asys_base):
    a = systems()
    b = ActorSystem()
    try:
        assert b.systemAddress == a.systemAddress
        assert _same_system(a, b)
        echo = a.createActor(Echo)
        assert b.ask(echo, "shared", WAIT) == "shared"
    finally:
        b.shutdown()
    a.shutdown()


def test_same_base_ignores_new_capabilities(systems, asys_base):
    a = systems()
    b = systems(caps={"extra-cap": 1})
    assert b.systemAddress == a.systemAddress
    assert _same_system(a, b)
    assert "extra-cap" not in b.capabilities


def _same_system(s1, s2, name="probe"):
    """Whether two handles reach one system: a global name is unique per system."""
    i1 = s1.ask(s1.createActor(Echo, globalName=name), ("id?",), WAIT)
    i2 = s2.ask(s2.createActor(Echo, globalName=name), ("id?",), WAIT)
    assert i1 is not None and i2 is not None
    return i1 == i2


def test_transient_unique_is_independent(systems):
    a = systems()
    t = systems(transient=True)
    assert not _same_system(a, t)
    e = t.createActor(Echo)
    assert t.ask(e, "t", WAIT) == "t"
    t.shutdown()
    assert a.ask(a.createActor(Echo), "still", WAIT) == "still"


def test_two_transient_systems_are_independent(systems):
    t1 = systems(transient=True)
    t2 = systems(transient=True)
    assert not _same_system(t1, t2)
    t1.updateCapability("who", "t1")
    assert "who" not in t2.capabilities
    assert t2.ask(t2.createActor(Echo), 2, WAIT) == 2


def test_shutdown_twice_is_harmless(systems):
    s = systems(transient=True)
    e = s.createActor(Echo)
    assert s.ask(e, "up", WAIT) == "up"
    s.shutdown()
    assert s.shutdown() is None  # the second is a no-op, not an error
    with pytest.raises(ActorSystemFailure):  # and did not bring the system back
        s.createActor(Echo)


def test_calls_after_shutdown_raise(systems):
    s = systems(transient=True)
    e = s.createActor(Echo)
    s.shutdown()
    with pytest.raises(ActorSystemFailure):
        s.createActor(Echo)
    with pytest.raises(ActorSystemFailure):
        s.tell(e, "x")
    with pytest.raises(ActorSystemFailure):
        s.ask(e, "x", 1)
    with pytest.raises(ActorSystemFailure):
        s.listen(0.1)
    with pytest.raises(ActorSystemFailure):
        s.updateCapability("x", 1)


def test_singleton_slot_cleared_by_shutdown(systems):
    a = systems()
    old_id = a.ask(a.createActor(Echo, globalName="probe"), ("id?",), WAIT)
    a.shutdown()
    b = systems()
    assert b.ask(b.createActor(Echo, globalName="probe"), ("id?",), WAIT) != old_id
    assert b.ask(b.createActor(Echo), "new", WAIT) == "new"


@pytest.mark.parametrize("logDefs", [False, None, "BestForBase",
                                     {"version": 1, "disable_existing_loggers": False}])
def test_accepted_log_defs(systems, restore_logging, logDefs):
    s = systems(transient=True, logDefs=logDefs)
    assert s.ask(s.createActor(Echo), "ok", WAIT) == "ok"


@pytest.mark.parametrize("logDefs", ["bogus", True, 5, ["version"]])
def test_other_log_defs_are_value_error(asys_base, asys_info, logDefs):
    with pytest.raises(ValueError):
        s = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=logDefs,
                        transientUnique=True)
        s.shutdown()


def test_invalid_log_dict_fails_at_construction(asys_base, asys_info, restore_logging):
    bad = {"version": 1, "handlers": {"h": {"class": "tests.no_such_module.Handler"}},
           "root": {"handlers": ["h"]}}
    with pytest.raises(ValueError):
        s = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=bad,
                        transientUnique=True)
        s.shutdown()


def test_context_manager_shuts_down(asys_base, asys_info):
    with ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=False,
                     transientUnique=True) as s:
        assert s.ask(s.createActor(Echo), 1, WAIT) == 1
    with pytest.raises(ActorSystemFailure):
        s.tell(s.systemAddress, "x")
