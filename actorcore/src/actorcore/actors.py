"""The public surface: the only module an actor or client needs (docs/api.md §1.1).

Port a Thespian program by rewriting ``thespian.actors`` as ``actorcore.actors``.
"""
from __future__ import annotations

from ._core.actor import Actor, ActorTypeDispatcher
from ._core.addresses import ActorAddress
from ._core.capabilities import ThespianGeneration, requireCapability
from ._core.errors import (
    ActorSystemException,
    ActorSystemFailure,
    ActorSystemRequestTimeout,
    ActorSystemStartupFailure,
    InvalidActorAddress,
    InvalidActorSourceHash,
    InvalidActorSpecification,
    NoCompatibleSystemForActor,
)
from ._core.messages import (
    ActorExitRequest,
    ActorSystemConventionUpdate,
    ActorSystemMessage,
    ChildActorExited,
    DeadEnvelope,
    LoadedSource,
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_StatusReq,
    Thespian_SystemStatus,
    ThespianWatch,
    UnloadedSource,
    ValidatedSource,
    ValidateSource,
    WakeupMessage,
    WatchMessage,
)
from ._core.system import ActorSystem, ExternalContext

__all__ = [
    "ThespianGeneration",
    "Actor",
    "ActorTypeDispatcher",
    "ActorAddress",
    "ActorSystem",
    "ExternalContext",
    "requireCapability",
    "ThespianWatch",
    "ActorSystemMessage",
    "ActorExitRequest",
    "ChildActorExited",
    "PoisonMessage",
    "WakeupMessage",
    "WatchMessage",
    "DeadEnvelope",
    "ActorSystemConventionUpdate",
    "ValidateSource",
    "ValidatedSource",
    "LoadedSource",
    "UnloadedSource",
    "Thespian_StatusReq",
    "Thespian_SystemStatus",
    "Thespian_ActorStatus",
    "ActorSystemException",
    "InvalidActorAddress",
    "ActorSystemFailure",
    "ActorSystemStartupFailure",
    "ActorSystemRequestTimeout",
    "NoCompatibleSystemForActor",
    "InvalidActorSourceHash",
    "InvalidActorSpecification",
]
