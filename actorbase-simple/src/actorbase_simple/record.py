"""ActorRecord: one actor of a simple system, and the context its Actor calls into.

The delivery rules are :class:`actorcore._core.delivery.ActorCell`'s; a record
supplies the runtime part through :class:`Host`, all it may use of its system.
"""
from __future__ import annotations

import itertools
import logging
from collections import deque
from typing import IO, TYPE_CHECKING, Any, Protocol

from actorcore.actors import ActorAddress, InvalidActorAddress, Thespian_ActorStatus, WakeupMessage
from actorcore.plugin import ActorCell, ActorContext, SourceRegistry, read_source

_log = logging.getLogger("actorcore.simple")


class SimpleId(int):
    """Address details of the simple base: a process-wide unique number."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"S/{int(self)}"  # printable addresses keep to Thespian's characters

    __str__ = __repr__


_ids = itertools.count(1)  # process-wide, so addresses of two systems never compare equal


def new_id() -> SimpleId:
    return SimpleId(next(_ids))


class Host(Protocol):
    """What a record needs of its system."""

    systemAddress: ActorAddress
    #: (target, message, sender), delivered in order
    queue: deque[tuple[ActorAddress, Any, ActorAddress]]
    sources: SourceRegistry

    def create_child(
        self, parent: ActorRecord, actorClass: Any, requirements: Any,
        globalName: str | None, sourceHash: str | None,
    ) -> ActorAddress: ...

    def add_wakeup(self, address: ActorAddress, seconds: float, wakeup: WakeupMessage) -> None: ...

    def set_dead_letter_handler(self, rec: ActorRecord, start: bool) -> None: ...

    def update_capability(self, name: Any, value: Any, external: bool) -> None: ...

    def request_shutdown(self) -> None: ...

    def release(self, rec: ActorRecord) -> None:
        """The actor ended: forget it and tell its parent."""

    def pending_for(self, address: ActorAddress) -> tuple[int, int]:
        """Messages queued for ``address``, and its wakeups."""


class ActorRecord(ActorCell):
    """The runtime's view of one actor; also the ``_ctx`` its Actor calls."""

    __slots__ = ("system", "id", "parent", "requirements", "_append")

    def __init__(
        self,
        system: Host,
        ident: SimpleId,
        cls: type,
        parent: ActorRecord | None,
        globalName: str | None,
        requirements: Any,
        sourceHash: str | None,
    ) -> None:
        super().__init__(ActorAddress(ident), globalName, sourceHash)
        self.system = system
        self.id = ident
        self.cls = cls
        self.parent = parent
        self.requirements = requirements
        self._append = system.queue.append

    # -- the calls an Actor makes (Actor.<method> -> self._ctx.<method>) -------
    def send(self, targetAddr: ActorAddress, msg: Any) -> None:
        if targetAddr.__class__ is not ActorAddress and not isinstance(targetAddr, ActorAddress):
            raise InvalidActorAddress(targetAddr, "send needs an ActorAddress as target")
        self.sent += 1
        self._append((targetAddr, msg, self.address))

    def createActor(
        self, actorClass: Any, requirements: Any, globalName: str | None, sourceHash: str | None
    ) -> ActorAddress:
        return self.system.create_child(self, actorClass, requirements, globalName, sourceHash)

    def handleDeadLetters(self, start: bool) -> None:
        self.system.set_dead_letter_handler(self, start)

    def notifyOnSystemRegistrationChanges(self, start: bool) -> None:
        """No conventions on the simple base: nothing to report."""

    def registerSourceAuthority(self) -> None:
        self.system.sources.set_authority(self.address)

    def loadActorSource(self, fname: str | IO[bytes]) -> str:
        data, info = read_source(fname)
        return self.system.sources.load(data, info)

    def unloadActorSource(self, sourceHash: str) -> None:
        self.system.sources.unload(sourceHash)

    def notifyOnSourceAvailability(self, enable: bool) -> None:
        self.system.sources.watch(self.address, enable)

    def updateCapability(self, name: str, value: Any = None) -> None:
        self.system.update_capability(name, value, external=False)

    def preRegisterRemoteSystem(self, remoteAddress: Any, remoteCapabilities: Any) -> None:
        _log.info("preRegisterRemoteSystem(%r) ignored: simpleSystemBase has no conventions", remoteAddress)

    def deRegisterRemoteSystem(self, remoteAddress: Any) -> None:
        _log.info("deRegisterRemoteSystem(%r) ignored: simpleSystemBase has no conventions", remoteAddress)

    def actorSystemShutdown(self) -> None:
        self.system.request_shutdown()

    # -- the runtime part of the delivery rules ----------------------------------
    def _reply(self, target: ActorAddress, msg: Any) -> None:
        self._append((target, msg, self.address))

    def _post(self, msg: Any, sender: ActorAddress) -> None:
        self._append((self.address, msg, sender))

    def _finish(self) -> None:
        self.system.release(self)

    def _add_wakeup(self, seconds: float, wakeup: WakeupMessage) -> None:
        self.system.add_wakeup(self.address, seconds, wakeup)

    def _status(self) -> Thespian_ActorStatus:
        system = self.system
        pending, wakeups = system.pending_for(self.address)
        parent = self.parent.address if self.parent is not None else system.systemAddress
        return self.status_report(system.systemAddress, parent, pending, wakeups)


if TYPE_CHECKING:
    _is_a_context: type[ActorContext] = ActorRecord  # mypy proves every call an Actor makes is here
