"""ActorContext: what an Actor asks of the system running it (``self._ctx``).

Every base gives each actor an object with these members; ``actorcore._core.actor``
calls nothing else. How each one is carried out is the base's business.
"""
from __future__ import annotations

from typing import IO, Any, Awaitable, Protocol

from .addresses import ActorAddress


class ActorContext(Protocol):
    """The system calls of one actor (docs/api.md §2), in the order of ``Actor``'s methods."""

    @property
    def address(self) -> ActorAddress:
        """The actor's own address."""

    @property
    def globalName(self) -> str | None:
        """The name the actor was created under, or None."""

    def send(self, targetAddr: ActorAddress, msg: Any) -> None:
        """Queue ``msg`` for ``targetAddr``; InvalidActorAddress for a non-address."""

    def ask(self, targetAddr: ActorAddress, msg: Any, timeout: Any = None) -> Awaitable[Any]:
        """``await self.ask(...)`` from an async handler (every base: ActorCell's)."""

    def createActor(
        self, actorClass: Any, requirements: Any, globalName: str | None, sourceHash: str | None
    ) -> ActorAddress:
        """A child's address at once; a failure later reaches the actor as ChildActorExited."""

    def wakeupAfter(self, timePeriod: Any, payload: Any = None) -> None:
        """A WakeupMessage after at least ``timePeriod``."""

    def handleDeadLetters(self, start: bool) -> None:
        """Become (or stop being) the dead letter handler."""

    def notifyOnSystemRegistrationChanges(self, start: bool) -> None:
        """Receive (or stop receiving) convention updates."""

    def registerSourceAuthority(self) -> None:
        """Become the Source Authority."""

    def loadActorSource(self, fname: str | IO[bytes]) -> str:
        """Load a source archive; its hash at once."""

    def unloadActorSource(self, sourceHash: str) -> None:
        """Forget a loaded source."""

    def notifyOnSourceAvailability(self, enable: bool) -> None:
        """Receive (or stop receiving) LoadedSource / UnloadedSource."""

    def updateCapability(self, name: str, value: Any = None) -> None:
        """Set (None: delete) a capability of the hosting system."""

    def preRegisterRemoteSystem(self, remoteAddress: Any, remoteCapabilities: Any) -> None:
        """Invite a remote system into the convention."""

    def deRegisterRemoteSystem(self, remoteAddress: Any) -> None:
        """Drop a remote system from the convention."""

    def actorSystemShutdown(self) -> None:
        """Shut the local system down."""
