"""Messages the runtime's processes exchange among themselves (never seen by actors).

Addresses here are transport address details (plain, picklable values).
"""
from __future__ import annotations

import enum
from typing import Any

import attrs


class _Text(str, enum.Enum):
    """A ``str`` enum that prints as its text (as ``enum.StrEnum``, which
    Python 3.10 lacks): a value compares equal to its text and logs show it."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class CreateFailure(_Text):
    """Why a create failed: ``Created.error_kind``, ``ActorInitFailed.kind``,
    ``RemoteChildExited.kind``; the creating process raises by it."""

    #: the spec names no Actor class, or the request is malformed (a globalName not a string)
    SPEC = "spec"
    #: the actor's module could not be imported
    IMPORT = "import"
    #: the class's capability check refuses this system (and no other system of its convention took it)
    CAPABILITY = "capability"
    #: the sourceHash names no loaded source
    SOURCE = "source"
    #: ``__init__`` raised, or the process died while starting
    INIT = "init"
    #: no process could be started for it
    SPAWN = "spawn"
    #: the system is shutting down
    SHUTDOWN = "shutdown"
    #: the keeper of the convention's global names did not answer
    NAME = "name"
    #: the system it was placed on left the convention
    GONE = "gone"


class AdminFailure(_Text):
    """Why an admin did not start (``AdminFailed.kind``)."""

    STARTUP = "startup"
    #: logging.config.dictConfig refused the logDefs: the caller gets ValueError
    LOGDEFS = "logDefs"


class SourceOp(_Text):
    """What a :class:`SourceRequest` asks of the admin."""

    #: load a source (``data``): its hash is the answer
    LOAD = "load"
    #: unload the source ``sourceHash``
    UNLOAD = "unload"
    #: the sender becomes the source authority
    AUTHORITY = "authority"
    #: the sender starts or stops hearing of sources loaded and unloaded
    WATCH = "watch"
    UNWATCH = "unwatch"


class RuntimeMessage:
    """Base of the runtime's own messages; actors and ask() never see them."""

    __slots__ = ()


@attrs.define
class CreateActor(RuntimeMessage):
    req_id: int
    new_id: Any  # None: the admin names it (top-level creates)
    parent: Any  # the creating actor's details, or None for the system
    spec: str  # "module.QualName"
    requirements: Any
    globalName: str | None
    sourceHash: str | None
    reply_to: Any  # where Created goes (None: nobody waits)
    # conventions: systems already tried, the system the request came from
    # (which waits for Placed / RemoteChildExited), its key for the request
    tried: tuple[str, ...] = ()
    origin: str | None = None
    place_key: str | None = None
    source: Any = None  # (zip bytes, info) when a sourceHash travels to another system


@attrs.define
class Created(RuntimeMessage):
    req_id: int
    actor: Any  # the actor's details (also when a globalName hit)
    error_kind: CreateFailure | None = None  # None: created
    error: str = ""


@attrs.define
class ActorStarted(RuntimeMessage):
    actor: Any
    pid: int


@attrs.define
class ActorInitFailed(RuntimeMessage):
    actor: Any
    kind: CreateFailure
    error: str


@attrs.define
class ActorExiting(RuntimeMessage):
    actor: Any
    orphan_children: bool


@attrs.define
class ExitNoted(RuntimeMessage):
    """The admin to an exiting actor: it has read the ActorExiting, so
    whatever it forwarded before is already on the way and nothing follows
    (the actor hands back all it reads until this comes, as dead letters)."""


@attrs.define
class SetDeadLetterHandler(RuntimeMessage):
    actor: Any
    start: bool


@attrs.define
class UpdateCapability(RuntimeMessage):
    req_id: int
    name: str
    value: Any
    reply_to: Any


@attrs.define
class Reply(RuntimeMessage):
    """A generic answer to a request: ``error`` empty means done."""

    req_id: int
    error: str = ""
    value: Any = None


@attrs.define
class Shutdown(RuntimeMessage):
    req_id: int
    reply_to: Any


@attrs.define
class AdminReady(RuntimeMessage):
    capabilities: dict[str, Any]
    pid: int


@attrs.define
class AdminFailed(RuntimeMessage):
    error: str
    kind: AdminFailure = AdminFailure.STARTUP


@attrs.define
class LogRecordMsg(RuntimeMessage):
    record: dict[str, Any]
    from_member: bool = False  # forwarded by a convention member: emit, never forward again


@attrs.define
class SourceRequest(RuntimeMessage):
    """Load or unload a source, or register an authority or a watcher (``op``)."""

    req_id: int
    op: SourceOp
    sender: Any
    reply_to: Any = None  # where the Reply goes (None: nobody waits)
    sourceHash: str | None = None  # UNLOAD: the source
    data: bytes | None = None  # LOAD: the zip
    info: str | None = None  # LOAD: what it was read from


@attrs.define
class SystemShutdownRequest(RuntimeMessage):
    sender: Any


@attrs.define
class DeadLetter(RuntimeMessage):
    """A transport found a target dead at the sending side: the admin dead-letters it.
    ``origin``: the message's own sender, when known (an ask's request is
    answered there); the DeadLetter's sender otherwise."""

    target: Any
    data: bytes
    origin: Any = None


@attrs.define
class ChildFailed(RuntimeMessage):
    """Admin to parent, just before ChildActorExited: the child never started.
    The parent's runtime answers ChildFailedAck at once, so the admin can tell
    messages the parent queued before it knew (returned as PoisonMessage)
    from later ones (dead letters)."""

    child: Any


@attrs.define
class ChildFailedAck(RuntimeMessage):
    child: Any


@attrs.define
class Attach(RuntimeMessage):
    """A client joined a shared (UDP/TCP) system: answered with Reply(value=AdminReady)."""

    req_id: int
    reply_to: Any


# -- conventions (admin to admin, and actors to their admin) -----------------------
@attrs.define
class ConventionRegister(RuntimeMessage):
    """Member to leader: here I am (again), with my capabilities."""

    sysid: str
    listen: str  # "" when the member is Outbound Only
    capabilities: dict[str, Any]


@attrs.define
class ConventionWelcome(RuntimeMessage):
    """Leader to member: the answer to a registration, and the member directory
    (sysid -> listen address) so members can reach each other."""

    sysid: str
    listen: str
    capabilities: dict[str, Any]
    members: dict[str, str]
    fresh: bool = False  # the leader did not know the member till now: it tells its names again


@attrs.define
class ConventionLeave(RuntimeMessage):
    """A system leaves the convention (shutdown or deregistration)."""

    sysid: str


@attrs.define
class ConventionInvite(RuntimeMessage):
    """A system that pre-registered this one asks it to register (it becomes a leader of it)."""

    sysid: str
    listen: str


@attrs.define
class RegistrationWatch(RuntimeMessage):
    actor: Any
    start: bool


@attrs.define
class PreRegister(RuntimeMessage):
    where: str
    capabilities: dict[str, Any]


@attrs.define
class DeRegister(RuntimeMessage):
    remote: str  # "host:port" or a system id


@attrs.define
class Placed(RuntimeMessage):
    """The system that accepted a forwarded create to the origin: the actor runs."""

    place_key: str
    actor: Any
    where: str  # the hosting system's id


@attrs.define
class RemoteChildExited(RuntimeMessage):
    """The hosting system to the origin: an actor it placed there is gone
    (``failed``: it never started, with why)."""

    place_key: str | None
    actor: Any
    failed: bool
    kind: CreateFailure | None = None  # why it failed (None: it simply exited)
    error: str = ""


# -- global names across a convention (runtime/convnames.py) -----------------------
@attrs.define
class NameMessage(RuntimeMessage):
    """Between a system and the keeper of its convention's names (its leader)."""

    sysid: str  # the sending system
    name: str


@attrs.define
class NameAsk(NameMessage):
    """Which actor has ``name``? If none, reserve the name for the asker."""


@attrs.define
class NameAnswer(NameMessage):
    """The answer to a NameAsk: the actor that has the name, or None: the
    name is reserved for the asker, which creates the actor now."""

    actor: Any = None


@attrs.define
class NameBound(NameMessage):
    """``name`` is ``actor``, which runs on ``host`` (after a reservation, or
    a claim of a name the keeper does not know: it was new, or had lost us)."""

    actor: Any = None
    host: str = ""


@attrs.define
class NameReleased(NameMessage):
    """``actor`` (None: the asker's reservation) no longer has ``name``."""

    actor: Any = None
