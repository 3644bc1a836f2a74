"""docs/api.md §1.1 and §3.11: the public names and the exception hierarchy."""
from __future__ import annotations

import actorcore.actors as actors
from actorcore.actors import (
    ActorSystemException,
    ActorSystemFailure,
    ActorSystemRequestTimeout,
    ActorSystemStartupFailure,
    InvalidActorAddress,
    InvalidActorSourceHash,
    InvalidActorSpecification,
    NoCompatibleSystemForActor,
)

EXPECTED = {
    "ThespianGeneration", "Actor", "ActorTypeDispatcher", "ActorAddress", "ActorSystem",
    "ExternalContext", "requireCapability", "ThespianWatch", "ActorSystemMessage",
    "ActorExitRequest", "ChildActorExited", "PoisonMessage", "WakeupMessage", "WatchMessage",
    "DeadEnvelope", "ActorSystemConventionUpdate", "ValidateSource", "ValidatedSource",
    "LoadedSource", "UnloadedSource", "Thespian_StatusReq", "Thespian_SystemStatus",
    "Thespian_ActorStatus", "ActorSystemException", "InvalidActorAddress", "ActorSystemFailure",
    "ActorSystemStartupFailure", "ActorSystemRequestTimeout", "NoCompatibleSystemForActor",
    "InvalidActorSourceHash", "InvalidActorSpecification",
}


def test_all_is_exactly_the_documented_names():
    assert set(actors.__all__) == EXPECTED
    assert len(actors.__all__) == len(EXPECTED), "duplicates in __all__"


def test_star_import_gives_nothing_else():
    ns: dict = {}
    exec("from actorcore.actors import *", ns)
    ns.pop("__builtins__", None)
    assert set(ns) == EXPECTED
    for leaked in ("logging", "inspect", "contextmanager"):
        assert leaked not in ns


def test_every_name_resolves():
    missing = [name for name in EXPECTED if not hasattr(actors, name)]
    assert missing == []
    unlisted = [name for name in EXPECTED if name not in actors.__all__]
    assert unlisted == []  # what `from actorcore.actors import *` gives, as from thespian.actors


def test_thespian_generation():
    assert actors.ThespianGeneration == (3, 0)
    assert isinstance(actors.ThespianGeneration, tuple)


def test_exception_hierarchy():
    for exc in (InvalidActorAddress, NoCompatibleSystemForActor, ActorSystemFailure,
                InvalidActorSourceHash, InvalidActorSpecification):
        assert issubclass(exc, ActorSystemException)
    assert issubclass(ActorSystemStartupFailure, ActorSystemFailure)
    assert issubclass(ActorSystemRequestTimeout, ActorSystemFailure)
    assert issubclass(ActorSystemException, Exception)


def test_exception_constructor_signatures():
    e = InvalidActorAddress("addr", "desc")
    assert (e.actorAddress, e.desc) == ("addr", "desc")
    n = NoCompatibleSystemForActor("Cls", "no system")
    assert (n.actorClass, n.msg) == ("Cls", "no system")
    assert InvalidActorSourceHash("abc").sourceHash == "abc"
    s = InvalidActorSpecification("spec")
    assert (s.actorClass, s.reason) == ("spec", None)
    assert InvalidActorSpecification("spec", reason="why").reason == "why"
    for cls in (ActorSystemFailure, ActorSystemStartupFailure, ActorSystemRequestTimeout):
        assert str(cls("x")) == "x"


def test_system_messages_derive_from_actor_system_message():
    for name in ("ActorExitRequest", "ChildActorExited", "PoisonMessage", "WakeupMessage",
                 "WatchMessage", "DeadEnvelope", "ActorSystemConventionUpdate",
                 "ValidateSource", "ValidatedSource", "LoadedSource", "UnloadedSource",
                 "Thespian_StatusReq", "Thespian_SystemStatus", "Thespian_ActorStatus"):
        assert issubclass(getattr(actors, name), actors.ActorSystemMessage), name


def test_actor_classes():
    assert issubclass(actors.ActorTypeDispatcher, actors.Actor)
