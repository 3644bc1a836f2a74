"""ActorRecord: one actor of a simple system, and the context its Actor calls into."""
from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any, Callable

from actorcore.addresses import ActorAddress
from actorcore.errors import InvalidActorAddress
from actorcore.sources import read_source
from actorcore.timeouts import to_seconds

if TYPE_CHECKING:
    from .system import SimpleSystem

LIVE, EXITING, DEAD = 0, 1, 2


class SimpleId(int):
    """Address details of the simple base: a process-wide unique number."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"S/{int(self)}"  # printable addresses keep to Thespian's characters

    __str__ = __repr__


class ActorRecord:
    """The runtime's view of one actor; also the ``_ctx`` its Actor calls."""

    __slots__ = (
        "system", "address", "id", "cls", "actor", "receive", "parent", "children",
        "state", "globalName", "requirements", "sourceHash", "waiting",
        "received", "sent", "failed", "_append",
    )

    def __init__(
        self,
        system: SimpleSystem,
        ident: SimpleId,
        cls: type,
        parent: ActorRecord | None,
        globalName: str | None,
        requirements: Any,
        sourceHash: str | None,
    ) -> None:
        self.system = system
        self.id = ident
        self.address = ActorAddress(ident)
        self.cls = cls
        self.actor: Any = None
        self.receive: Callable[[Any, Any], Any] | None = None
        self.parent = parent
        self.children: dict[SimpleId, ActorRecord] = {}
        self.state = LIVE
        self.globalName = globalName
        self.requirements = requirements
        self.sourceHash = sourceHash
        self.waiting: set[SimpleId] = set()
        self.received = self.sent = self.failed = 0
        self._append = system._queue.append

    # -- the calls an Actor makes (Actor.<method> -> self._ctx.<method>) -------
    def send(self, targetAddr: ActorAddress, msg: Any) -> None:
        if targetAddr.__class__ is not ActorAddress and not isinstance(targetAddr, ActorAddress):
            raise InvalidActorAddress(targetAddr, "send needs an ActorAddress as target")
        self.sent += 1
        self._append((targetAddr, msg, self.address))

    def createActor(
        self, actorClass: Any, requirements: Any, globalName: str | None, sourceHash: str | None
    ) -> ActorAddress:
        return self.system._create_child(self, actorClass, requirements, globalName, sourceHash)

    def wakeupAfter(self, timePeriod: Any, payload: Any = None) -> None:
        seconds = to_seconds(timePeriod, "wakeupAfter timePeriod", allow_none=False)
        self.system._add_wakeup(self, seconds or 0.0, timePeriod, payload)

    def handleDeadLetters(self, start: bool) -> None:
        self.system._set_dead_letter_handler(self, start)

    def notifyOnSystemRegistrationChanges(self, start: bool) -> None:
        """No conventions on the simple base: nothing to report."""

    def registerSourceAuthority(self) -> None:
        self.system._sources.set_authority(self.address)

    def loadActorSource(self, fname: str | IO[bytes]) -> str:
        data, info = read_source(fname)
        return self.system._sources.load(data, info)

    def unloadActorSource(self, sourceHash: str) -> None:
        self.system._sources.unload(sourceHash)

    def notifyOnSourceAvailability(self, enable: bool) -> None:
        self.system._sources.watch(self.address, enable)

    def updateCapability(self, name: str, value: Any = None) -> None:
        self.system._update_capability(name, value, external=False)

    def preRegisterRemoteSystem(self, remoteAddress: Any, remoteCapabilities: Any) -> None:
        self.system._log_no_conventions("preRegisterRemoteSystem", remoteAddress)

    def deRegisterRemoteSystem(self, remoteAddress: Any) -> None:
        self.system._log_no_conventions("deRegisterRemoteSystem", remoteAddress)

    def actorSystemShutdown(self) -> None:
        self.system._shutdown_requested = True
