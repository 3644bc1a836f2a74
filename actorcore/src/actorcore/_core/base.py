"""The protocol a system base implements; ActorSystem delegates to it.

A base is what ``register.add(name, factory)`` hands over: the factory
returns a running :class:`SystemBase`. The core validates arguments and
filters replies; the base moves messages and runs actors.
"""
from __future__ import annotations

from typing import Any, Protocol, TypeVar

from .addresses import ActorAddress


class Endpoint(Protocol):
    """An external sender/receiver (the ActorSystem handle, or ``private()``)."""

    address: ActorAddress

    def close(self) -> None: ...


E = TypeVar("E", bound=Endpoint)


class SystemBase(Protocol[E]):
    """A running actor system as seen from the process that made it; ``E`` is
    the base's own endpoint type (what :meth:`open_endpoint` returns is what
    the other methods are given back). Parameters are positional: the core
    passes them so, and a base may name them as it likes.

    Optional, for ``ask_async`` to wait on the caller's event loop instead of
    a worker thread: ``watch(endpoint, ready)`` — from now on call ``ready()``
    (from any thread, without blocking) whenever ``endpoint`` receives, and
    once if the system ends — and ``unwatch(endpoint)``. Without them, a base
    that runs its actors in the caller's thread may offer
    ``tell_now(endpoint, target, msg) -> (sent, first)``: if no thread is
    running the system, send and run the actors until idle without waiting,
    and return (True, the endpoint's first message or NOTHING); else (False,
    NOTHING), sending nothing. Asks it cannot answer at once wait on a worker
    thread."""

    baseName: str
    systemAddress: ActorAddress
    capabilities: dict[str, Any]

    @property
    def is_shutdown(self) -> bool: ...

    def open_endpoint(self) -> E:
        """A fresh external endpoint with its own address."""

    def createActor(
        self,
        endpoint: E,
        actorClass: Any,
        targetActorRequirements: Any,
        globalName: str | None,
        sourceHash: str | None,
        /,
    ) -> ActorAddress:
        """Create a top-level actor and return its address once it exists.

        Raises the exceptions of docs/api.md §3.3."""

    def tell(self, endpoint: E, target: ActorAddress, msg: Any, /) -> None:
        """Hand ``msg`` to the system for ``target`` (sender: the endpoint)."""

    def receive(self, endpoint: E, timeout: float | None, /) -> Any:
        """The next message for ``endpoint`` (unfiltered), or NOTHING on timeout."""

    def ask(self, endpoint: E, target: ActorAddress, msg: Any, timeout: float | None, /) -> Any:
        """Optional: ``tell`` then ``receive`` in one step, for a base that can do
        it faster. Without it, ActorSystem.ask calls the two."""

    def updateCapability(self, endpoint: E, name: str, value: Any, /) -> None:
        """Set (None: delete) a capability; raises ActorSystemFailure when refused."""

    def loadActorSource(self, endpoint: E, data: bytes, info: str | None, /) -> str:
        """Start loading a source; returns its hash."""

    def unloadActorSource(self, endpoint: E, sourceHash: str, /) -> None:
        """Forget a loaded source."""

    def shutdown(self) -> None:
        """Stop every actor (and process) of the system; returns when all are gone."""


class _Nothing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"

    def __bool__(self) -> bool:
        return False


#: What ``SystemBase.receive`` returns when the wait ended without a message.
NOTHING: Any = _Nothing()
