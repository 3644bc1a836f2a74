"""docs/api.md §2.15: ActorTypeDispatcher."""
from __future__ import annotations

from actorcore.actors import ActorExitRequest, PoisonMessage

from .actors.basic import Collector
from .actors.dispatch import (
    Base,
    Derived,
    Direct,
    ExitAware,
    Other,
    Report,
    Typed,
    TypedChild,
    TypedGrandChild,
    WithUnrecognized,
)
from .helpers import WAIT, collected


def _calls(asys, cls, *msgs):
    a = asys.createActor(cls)
    for m in msgs:
        asys.tell(a, m)
    return asys.ask(a, Report(), WAIT)


def test_dispatch_on_builtin_types(asys):
    assert _calls(asys, Typed, "s", 5) == [("str", "s"), ("int", 5)]


def test_dispatch_on_user_classes_most_derived_first(asys):
    assert _calls(asys, Typed, Derived(1), Base()) == [("Derived", 1), ("Base", "Base")]


def test_super_continues_with_message_mro(asys):
    assert _calls(asys, Typed, Derived("super")) == [("Derived", "super"), ("Base", "Derived")]


def test_super_continues_up_the_actor_mro(asys):
    assert _calls(asys, TypedChild, "up", "stay") == [
        ("child-str", "up"), ("str", "up"), ("child-str", "stay")]


def test_each_handler_function_at_most_once(asys):
    assert _calls(asys, TypedGrandChild, "up") == [("child-str", "up"), ("str", "up")]


def test_unrecognized_message_handler(asys):
    assert _calls(asys, WithUnrecognized, 1.5) == [("unrecognized", 1.5)]


def test_unhandled_messages_dropped_silently(asys):
    a = asys.createActor(Typed)
    assert asys.ask(a, 1.5, 0.5) is None
    assert asys.ask(a, Other(), 0.5) is None
    assert asys.ask(a, Report(), WAIT) == []


def test_unhandled_message_is_not_poison(asys):
    a = asys.createActor(Typed)
    reply = asys.ask(a, Other(), 0.5)
    assert not isinstance(reply, PoisonMessage)


def test_override_of_receive_message_disables_dispatch(asys):
    assert asys.ask(asys.createActor(Direct), "s", WAIT) == ("direct", "s")


def test_system_messages_dispatch_by_bare_name(asys):
    col = asys.createActor(Collector)
    a = asys.createActor(ExitAware)
    assert asys.ask(a, ("report-to", col), WAIT) == "ok"
    asys.tell(a, ActorExitRequest())
    assert collected(asys, col, lambda g: len(g) >= 1) == ["exit-seen"]
