"""docs/api.md §2.4, §2.7, §2.11, §5.6, §5.7: the system-side rules of actorcore._core.sysrules.

Every base applies these through the one copy in :mod:`actorcore._core.sysrules`:
dead letters and their handler, messages for a child that never started,
orphans, the checks of a create, what the system's own address answers,
capability changes. The unit tests prove each rule, and that the
multiprocess admin's router, fed envelopes as the admin is, applies them;
the tests at the end prove on every base the checks an actor's create meets.
"""
from __future__ import annotations

import uuid
from typing import Any

import attrs
import pytest

from actorcore._core.delivery import EXITING, ActorCell
from actorcore._core.runtime import protocol
from actorcore._core.runtime.registry import LIVE, ActorRegistry, Entry
from actorcore._core.runtime.routing import Router
from actorcore._core.runtime.wire import dumps, loads
from actorcore._core.sysrules import (
    CHILD_ABORTED,
    bounce_held,
    capability_refusal,
    check_global_name,
    next_dead_letter_handler,
    orphan,
    system_requests,
    update_capability,
)
from actorcore.actors import (
    Actor,
    ActorAddress,
    ActorExitRequest,
    ActorSystemFailure,
    ChildActorExited,
    DeadEnvelope,
    PoisonMessage,
    Thespian_StatusReq,
    ValidatedSource,
    requireCapability,
)

from .actors.basic import Collector, Echo
from .helpers import WAIT, collected


# -- the rules, one by one -------------------------------------------------------
def test_the_dead_letter_handler_is_the_last_to_start_and_only_it_stops_itself():
    assert next_dead_letter_handler(None, "a", True) == "a"
    assert next_dead_letter_handler("a", "b", True) == "b"
    assert next_dead_letter_handler("b", "a", False) == "b"  # a stops: b still handles
    assert next_dead_letter_handler("b", "b", False) is None
    assert next_dead_letter_handler(None, "b", False) is None


@attrs.define
class _Kid:
    parent: Any


def test_orphans_lose_their_parent_and_gone_children_are_skipped():
    kids = [_Kid("p"), _Kid("p")]
    assert orphan([kids[0], None, kids[1]]) == kids
    assert [k.parent for k in kids] == [None, None]


@pytest.mark.parametrize("name", [None, "", "worker"])
def test_a_global_name_may_be_none_or_a_string(name):
    check_global_name(name)  # raises nothing


@pytest.mark.parametrize("name, kind", [(5, "int"), (b"x", "bytes"), (["x"], "list")])
def test_any_other_global_name_is_a_type_error_saying_what_it_was(name, kind):
    with pytest.raises(TypeError, match=f"^globalName must be a string, not {kind}$"):
        check_global_name(name)


class _Cell(ActorCell):
    def __init__(self) -> None:
        super().__init__(ActorAddress("me"), None, None)


def test_a_create_during_exit_never_starts_and_a_bad_name_raises_first():
    cell = _Cell()
    assert cell._never_starts("name") is False
    cell.state = EXITING
    assert cell._never_starts(None) is True
    with pytest.raises(TypeError):
        cell._never_starts(5)  # the same error whether the actor is exiting or not


@requireCapability("gpu")
class _NeedsGpu(Actor):
    pass


def test_a_capability_refusal_names_the_class_and_an_accepted_class_has_none():
    assert capability_refusal(_NeedsGpu, {"gpu": True}, None) is None
    why = capability_refusal(_NeedsGpu, {}, None)
    assert why is not None and why.endswith("_NeedsGpu does not accept this system's capabilities")


@attrs.define
class _Running:
    cls: Any
    requirements: Any = None


class _Unread:
    """Running actors that must not be looked at."""

    def __iter__(self):
        raise AssertionError("running actors read although nothing changed")


def test_a_capability_update_that_changes_nothing_says_so_without_reading_the_actors():
    caps = {"gpu": True}
    assert update_capability(caps, "gpu", True, _Unread()) is None
    assert update_capability(caps, "absent", None, _Unread()) is None
    assert caps == {"gpu": True}


def test_a_capability_update_returns_the_running_actors_it_no_longer_suits():
    caps = {"gpu": True}
    gpu, plain = _Running(_NeedsGpu), _Running(Echo)
    assert update_capability(caps, "gpu", None, [gpu, plain]) == [gpu]
    assert caps == {}
    assert update_capability(caps, "zone", "eu", [plain]) == []  # a change that unfits nobody
    assert caps == {"zone": "eu"}


def test_a_capability_update_refuses_a_bad_name_and_a_read_only_one():
    caps: dict[str, Any] = {}
    with pytest.raises(TypeError, match="capability name must be a string, not int"):
        update_capability(caps, 5, 1, [])
    with pytest.raises(ActorSystemFailure, match="read-only"):
        update_capability(caps, "Thespian ActorSystem Name", "x", [])
    assert caps == {}


def test_messages_held_for_a_child_that_never_started_go_back_to_its_parent_only():
    parent, other = ActorAddress("p"), ActorAddress("o")
    poisoned: list[Any] = []
    dead: list[Any] = []
    bounce_held([("a", parent), ("b", other), ("c", parent)], parent,
                lambda to, p: poisoned.append((to, p)), dead.append)
    assert [(to, p.poisonMessage, p.details) for to, p in poisoned] == [
        (parent, "a", CHILD_ABORTED), (parent, "c", CHILD_ABORTED)]
    assert dead == ["b"]


def test_a_systems_own_address_answers_status_and_takes_verdicts_only():
    replies: list[Any] = []
    verdicts: list[Any] = []
    table = system_requests(lambda: "status", lambda to, msg: replies.append((to, msg)),
                            lambda msg, sender: verdicts.append((msg, sender)))
    assert set(table) == {Thespian_StatusReq, ValidatedSource}
    table[Thespian_StatusReq](Thespian_StatusReq(), "asker")
    verdict = ValidatedSource("hash", None)
    table[ValidatedSource](verdict, "authority")
    assert replies == [("asker", "status")]
    assert verdicts == [(verdict, "authority")]


# -- the admin's router applies them to envelopes --------------------------------
class _Transport:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, Any]] = []

    def send(self, target: Any, env: Any) -> None:
        self.sent.append((target, loads(env[2])))

    def is_client(self, target: Any) -> bool:
        return False


class _NoPeers:
    def send(self, sysid: str, env: Any) -> bool:
        return False

    def knows(self, sysid: str) -> bool:
        return False


def _entry(ident: str, parent: str | None = None, **kw: Any) -> Entry:
    return Entry(id=ident, parent=parent, spec="x", cls=None, requirements=None,
                 globalName=None, sourceHash=None, **kw)


@pytest.fixture
def router():
    registry = ActorRegistry()
    for ident in ("handler", "parent", "other"):
        registry.add(_entry(ident, state=LIVE))
    return Router("admin", _Transport(), registry, _NoPeers(), lambda env: None, "testBase")


def _sent(router: Router) -> list[tuple[Any, Any]]:
    """What the router sent: (target, message)."""
    return router.transport.sent


def _env(target: str, sender: str, msg: Any) -> tuple[str, str, bytes]:
    return (target, sender, dumps(msg))


def test_the_router_gives_dead_letters_to_the_handler_it_was_told_of(router):
    router.on_dead_letter_handler(protocol.SetDeadLetterHandler("handler", True), "handler")
    router.dead_letter(_env("gone", "other", "hello"))
    [(to, env)] = _sent(router)
    assert to == "handler" and isinstance(env, DeadEnvelope)
    assert (env.deadAddress, env.deadMessage) == (ActorAddress("gone"), "hello")


def test_the_router_drops_dead_letters_once_its_handler_ended_or_is_unknown(router):
    router.on_dead_letter_handler(protocol.SetDeadLetterHandler("handler", True), "handler")
    router.on_dead_letter_handler(protocol.SetDeadLetterHandler("other", False), "other")
    router.forget("parent")
    assert router.dead_letter_handler == "handler"  # only its own stop or end clears it
    router.forget("handler")
    router.dead_letter(_env("gone", "other", "hello"))
    router.on_dead_letter_handler(protocol.SetDeadLetterHandler("vanished", True), "vanished")
    router.dead_letter(_env("gone", "other", "hello again"))  # "vanished" is no actor of this admin
    assert _sent(router) == []


@pytest.mark.parametrize("msg", [DeadEnvelope(ActorAddress("x"), 1), ChildActorExited(ActorAddress("x")),
                                 protocol.ExitNoted()])
def test_the_router_never_dead_letters_notices(router, msg):
    router.on_dead_letter_handler(protocol.SetDeadLetterHandler("handler", True), "handler")
    router.dead_letter(_env("gone", "other", msg))
    assert _sent(router) == []


def test_the_router_returns_a_parents_message_to_a_child_that_failed_to_start(router):
    router.on_dead_letter_handler(protocol.SetDeadLetterHandler("handler", True), "handler")
    router.registry.dead["child"] = _entry("child", "parent", awaiting_ack=True, failed_create=True)
    router.dead_letter(_env("child", "parent", "work"))
    router.dead_letter(_env("child", "other", "gossip"))
    (to1, poison), (to2, dead) = _sent(router)
    assert to1 == "parent" and isinstance(poison, PoisonMessage)
    assert (poison.poisonMessage, poison.details) == ("work", CHILD_ABORTED)
    assert to2 == "handler" and dead.deadMessage == "gossip"


def test_the_router_bounces_what_was_held_for_a_child_that_never_started(router):
    router.on_dead_letter_handler(protocol.SetDeadLetterHandler("handler", True), "handler")
    held = [_env("child", "parent", 1), _env("child", "other", 2), _env("child", "parent", ActorExitRequest())]
    router.bounce_held("parent", held)
    (to1, p1), (to2, d2), (to3, p3) = _sent(router)
    assert (to1, p1.poisonMessage, p1.details) == ("parent", 1, CHILD_ABORTED)
    assert (to2, d2.deadAddress, d2.deadMessage) == ("handler", ActorAddress("child"), 2)
    assert to3 == "parent" and isinstance(p3.poisonMessage, ActorExitRequest)


# -- on every base ---------------------------------------------------------------
class _Creator(Actor):
    """Creates as told, and says what came of it: ("made", address) or ("raised", text)."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("create",):
            try:
                made = self.createActor(Echo, globalName=message[1])
            except Exception as exc:
                self.send(sender, ("raised", f"{type(exc).__name__}: {exc}"))
            else:
                self.send(sender, ("made", made))
        elif isinstance(message, tuple) and message[:1] == ("report-to",):
            self.collector, self.name = message[1], message[2]
            self.send(sender, "ok")
        elif isinstance(message, ActorExitRequest):
            self.send(self.collector, ("late", self.createActor(Echo, globalName=self.name)))


def test_an_actors_create_with_a_global_name_that_is_no_string_raises_type_error(asys):
    creator = asys.createActor(_Creator)
    assert asys.ask(creator, ("create", 5), WAIT) == ("raised", "TypeError: globalName must be a string, not int")


def test_an_actors_named_create_during_exit_never_starts_even_for_a_name_in_use(asys):
    name = f"named-{uuid.uuid4().hex}"
    named = asys.createActor(Echo, globalName=name)
    col = asys.createActor(Collector)
    creator = asys.createActor(_Creator)
    assert asys.ask(creator, ("report-to", col, name), WAIT) == "ok"
    asys.tell(creator, ActorExitRequest())
    [(tag, late)] = collected(asys, col, lambda got: len(got) >= 1)
    assert tag == "late" and late != named
    assert asys.ask(late, "hello?", 1) is None
    assert asys.ask(named, "still here", WAIT) == "still here"
