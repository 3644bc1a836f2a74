"""docs/api.md §2.2, §2.4 globalName, §5.8: named actors."""
from __future__ import annotations

from actorcore.actors import ActorExitRequest, ChildActorExited

from .actors.basic import Collector, Echo
from .actors.names import Named, Requester
from .helpers import GET, WAIT, at_once, settle


def test_same_address_for_same_name(asys):
    a = asys.createActor(Echo, globalName="one")
    b = asys.createActor(Echo, globalName="one")
    assert a == b
    assert asys.ask(a, ("id?",), WAIT) == asys.ask(b, ("id?",), WAIT)


def test_other_arguments_ignored_when_name_exists(asys):
    a = asys.createActor(Echo, globalName="one")
    b = asys.createActor(Named, globalName="one")
    assert a == b
    assert asys.ask(b, "hello", WAIT) == "hello"  # still the Echo


def test_name_lookup_precedes_class_resolution(asys):
    a = asys.createActor(Echo, globalName="one")
    assert asys.createActor("tests.no_such_module_here.X", globalName="one") == a


def test_different_names_different_actors(asys):
    assert asys.createActor(Echo, globalName="x") != asys.createActor(Echo, globalName="y")


def test_global_name_property(asys):
    assert asys.ask(asys.createActor(Named, globalName="the-name"), "name?", WAIT) == ("name", "the-name")


def test_global_name_is_none_for_an_actor_created_without_one(asys):
    # Thespian programs test `if self.globalName is None`
    assert asys.ask(asys.createActor(Named), "name?", WAIT) == ("name", None)
    parent = asys.createActor(Requester)
    child = asys.ask(parent, ("create-child", Named), WAIT)
    assert asys.ask(child, "name?", WAIT) == ("name", None)


def test_actor_and_system_share_the_name(asys):
    watcher = asys.createActor(Collector)
    req = asys.createActor(Requester)
    named, again = asys.ask(req, ("create-named", "shared", watcher), WAIT)
    assert named == again
    assert asys.createActor(Echo, globalName="shared") == named


def test_named_actor_parent_is_the_system(asys):
    watcher = asys.createActor(Collector)
    req = asys.createActor(Requester)
    named, _ = asys.ask(req, ("create-named", "orphan", watcher), WAIT)
    assert asys.ask(named, ("self?",), WAIT) == named
    assert asys.ask(req, "kill-named", WAIT) == "sent"
    settle(asys)
    assert asys.ask(named, "x", 1) is None
    got = asys.ask(watcher, GET, WAIT)
    assert not any(isinstance(m, ChildActorExited) for m in got), got


def test_name_released_after_exit(asys):
    first = asys.createActor(Echo, globalName="again")
    first_id = asys.ask(first, ("id?",), WAIT)
    assert first_id is not None
    asys.tell(first, ActorExitRequest())

    import time

    deadline = time.monotonic() + WAIT
    while True:
        addr = asys.createActor(Echo, globalName="again")
        now = asys.ask(addr, ("id?",), 1)
        if now is not None and now != first_id or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert now is not None and now != first_id
    assert asys.ask(addr, "alive", WAIT) == "alive"


def test_concurrent_creates_of_one_name_yield_one_actor(asys):
    def create():
        with asys.private() as ctx:
            return ctx.createActor(Echo, globalName="race")

    results = at_once(create, create, create, create)
    assert all(r == results[0] for r in results)
