"""The system messages of docs/api.md §4, declared with attrs.

Every class derives from :class:`ActorSystemMessage`; user messages must not.
"""
from __future__ import annotations

from typing import Any

import attrs


class ActorSystemMessage:
    """Base of every message the actor system itself generates."""

    __slots__ = ()


@attrs.define(init=False)
class ActorExitRequest(ActorSystemMessage):
    """Asks an actor to exit; any two exit requests are equal."""

    _recursive: bool = attrs.field(default=True, eq=False)

    def __init__(self, recursive: bool = True) -> None:
        self._recursive = bool(recursive)

    @property
    def isRecursive(self) -> bool:
        """Whether the actor's children are asked to exit too."""
        return self._recursive

    def notRecursive(self) -> None:
        """Called while handling the request: keep the children alive."""
        self._recursive = False


@attrs.define
class ChildActorExited(ActorSystemMessage):
    """Tells a parent that one of its children stopped, for any reason."""

    childAddress: Any

    @property
    def childAddr(self) -> Any:
        return self.childAddress


@attrs.define
class PoisonMessage(ActorSystemMessage):
    """A message the target failed to handle (twice) or that could not be sent.

    Equality compares only ``poisonMessage``; ``details`` carries the
    exception type and formatted traceback as text.
    """

    poisonMessage: Any
    details: str | None = attrs.field(default=None, eq=False)


@attrs.define
class WakeupMessage(ActorSystemMessage):
    """Delivered to an actor after its ``wakeupAfter`` period."""

    delayPeriod: Any
    payload: Any = None


@attrs.define
class WatchMessage(ActorSystemMessage):
    """Delivered when file descriptors from a ``ThespianWatch`` are readable."""

    ready: list[int]


@attrs.define
class DeadEnvelope(ActorSystemMessage):
    """An undeliverable message, given to the dead letter handler."""

    deadAddress: Any
    deadMessage: Any


@attrs.define(init=False)
class ActorSystemConventionUpdate(ActorSystemMessage):
    """A remote system joined (``remoteAdded``) or left this convention."""

    remoteAdminAddress: Any
    remoteCapabilities: dict[str, Any]
    remoteAdded: bool

    def __init__(
        self, adminAddress: Any, capabilities: dict[str, Any] | None = None, added: bool = True
    ) -> None:
        self.remoteAdminAddress = adminAddress
        self.remoteCapabilities = dict(capabilities or {})
        self.remoteAdded = added


@attrs.define
class ValidateSource(ActorSystemMessage):
    """Sent to the Source Authority for each loaded source."""

    sourceHash: str
    sourceData: bytes = attrs.field(eq=False)
    sourceInfo: str | None = attrs.field(default=None, eq=False)


@attrs.define
class ValidatedSource(ActorSystemMessage):
    """The Source Authority's verdict: ``sourceZip`` None means rejected."""

    sourceHash: str
    sourceZip: bytes | None = attrs.field(eq=False)
    sourceInfo: str | None = attrs.field(default=None, eq=False)


@attrs.define
class LoadedSource(ActorSystemMessage):
    """A source became available on the local system."""

    sourceHash: str
    sourceInfo: str | None = None


@attrs.define
class UnloadedSource(ActorSystemMessage):
    """A source was unloaded from the local system."""

    sourceHash: str
    sourceInfo: str | None = None


@attrs.define
class Thespian_StatusReq(ActorSystemMessage):
    """Status query, answered by the runtime (the actor never sees it)."""


@attrs.define(kw_only=True)
class Thespian_ActorStatus(ActorSystemMessage):
    """Status of one actor. Informational; fields may change."""

    actorAddress: Any = None
    actorClass: str = ""
    adminAddress: Any = None
    parentAddress: Any = None
    sourceHash: str | None = None
    childActors: list[Any] = attrs.Factory(list)
    pendingMessages: int = 0
    receivedMessages: int = 0
    pendingWakeups: int = 0
    governer: str | None = None
    miscKeyVals: dict[str, Any] = attrs.Factory(dict)
    exiting: bool = False
    # actorcore's additions (docs/api.md §9.6); Thespian's fields above keep their names
    globalName: str | None = None
    sentMessages: int = 0
    failedMessages: int = 0  # messages whose first attempt raised
    pid: int | None = None
    uptime: float | None = None  # seconds since the actor started


@attrs.define(kw_only=True)
class Thespian_SystemStatus(ActorSystemMessage):
    """Status of one actor system (admin). Informational; fields may change."""

    adminAddress: Any = None
    conventionLeader: Any = None
    capabilities: dict[str, Any] = attrs.Factory(dict)
    conventionRegisterTime: Any = None
    conventionAttendees: list[Any] = attrs.Factory(list)
    deadLetterHandler: Any = None
    deadLetterAddresses: list[Any] = attrs.Factory(list)
    notifyAddresses: list[Any] = attrs.Factory(list)
    globalActors: dict[str, Any] = attrs.Factory(dict)
    inShutdown: bool = False
    sourceAuthority: Any = None
    loadedSources: list[Any] = attrs.Factory(list)
    childActors: list[Any] = attrs.Factory(list)
    pendingMessages: int = 0
    receivedMessages: int = 0
    pendingWakeups: int = 0
    governer: str | None = None
    miscKeyVals: dict[str, Any] = attrs.Factory(dict)
    # actorcore's additions (docs/api.md §9.6)
    baseName: str = ""
    pid: int | None = None  # the admin's process (the caller's, on a base without processes)
    uptime: float | None = None  # seconds since the system started
    #: every actor the system knows of, one dict each: address, parent (None:
    #: the system), actorClass, globalName, pid, state; system (the admin
    #: hosting it, for an actor placed on another system of the convention)
    actorTable: list[dict[str, Any]] = attrs.Factory(list)
    #: the other systems of the convention this one knows, one dict each:
    #: address, capabilities, role ("member": it registered here; "leader":
    #: this system registered with it), listen ("host:port", "" if Outbound Only)
    conventionMembers: list[dict[str, Any]] = attrs.Factory(list)


class ThespianWatch:
    """Returned from ``receiveMessage`` to watch file descriptors for reading."""

    __slots__ = ("filenos",)

    def __init__(self, filenos: list[int]) -> None:
        self.filenos = list(filenos)

    def __repr__(self) -> str:
        return f"ThespianWatch({self.filenos!r})"
