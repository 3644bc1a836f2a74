"""Actor and ActorTypeDispatcher: what user actors subclass (docs/api.md §2).

Every system call an actor makes goes to ``self._ctx``, the context its
system base wires in after ``__init__`` (an ``actorcore._core.context.ActorContext``);
the base decides what it means.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from types import CoroutineType, FunctionType
from typing import IO, TYPE_CHECKING, Any, Awaitable, Callable

from .addresses import ActorAddress
from .errors import ActorSystemFailure

if TYPE_CHECKING:
    from .context import ActorContext


class _Unwired:
    """The context of an actor that is not wired to a system (inside
    ``__init__``, or constructed by hand): every system call fails clearly."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        raise ActorSystemFailure(
            f"actor system call '{name}' is not available here: the actor is not "
            "attached to a system yet (inside __init__, or constructed directly). "
            "Do set-up that needs the system in the first receiveMessage."
        )


_UNWIRED = _Unwired()


class Actor:
    """Base class of actors: override ``receiveMessage(message, sender)``.

    The system constructs actors; user code never calls the constructor.
    ``__init__`` takes no arguments, or keyword ``capabilities`` and/or
    ``requirements`` (the system passes only what is declared).
    """

    _ctx: ActorContext = _UNWIRED

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    # -- identity -----------------------------------------------------------
    @property
    def myAddress(self) -> ActorAddress:
        """This actor's address, stable for its life."""
        return self._ctx.address

    @property
    def globalName(self) -> str | None:
        """The name this actor was created under, or None if none (as Thespian)."""
        name: str | None = self._ctx.globalName
        return name

    def __str__(self) -> str:
        ctx = self.__dict__.get("_ctx")
        where = ctx.address if ctx is not None else "unattached"
        return "{A:%s @ %s}" % (type(self).__name__, where)

    # -- messages ----------------------------------------------------------
    def receiveMessage(self, message: Any, sender: ActorAddress) -> Any:
        """Handle one message. Subclasses must override this."""
        raise NotImplementedError(
            f"{type(self).__name__} must override receiveMessage(message, sender)"
        )

    def send(self, targetAddr: ActorAddress, msg: Any) -> None:
        """Queue ``msg`` for ``targetAddr``; raises InvalidActorAddress for a non-address."""
        self._ctx.send(targetAddr, msg)

    def ask(self, targetAddr: ActorAddress, msg: Any, timeout: timedelta | float | None = None) -> Awaitable[Any]:
        """``reply = await self.ask(targetAddr, msg, timeout)`` inside an ``async def``
        handler (docs/api.md §9.3): sends ``msg`` and waits for what the target
        sends back to this actor while it handles it. Messages that arrive
        meanwhile wait (one message at a time); the reply does not.

        Raises InvalidActorAddress for a non-address and TypeError outside an
        async handler, at the call; at the await, ActorSystemRequestTimeout
        when ``timeout`` passes first (its text names a cycle of asks, if
        this actor can see one) and ActorSystemFailure when the request cannot
        reach the target (not running, cannot be sent). None: no limit.
        """
        return self._ctx.ask(targetAddr, msg, timeout)

    def createActor(
        self,
        actorClass: type | str,
        targetActorRequirements: Any = None,
        globalName: str | None = None,
        sourceHash: str | None = None,
    ) -> ActorAddress:
        """Create a child actor (or find the one named ``globalName``).

        Returns at once; a later failure reaches this actor as ChildActorExited.
        """
        return self._ctx.createActor(actorClass, targetActorRequirements, globalName, sourceHash)

    def wakeupAfter(self, timePeriod: timedelta | float, payload: Any = None) -> None:
        """Receive a WakeupMessage after at least ``timePeriod``; TypeError for other types."""
        self._ctx.wakeupAfter(timePeriod, payload)

    def handleDeadLetters(self, startHandling: bool = True) -> None:
        """Become (or stop being) this system's dead letter handler."""
        self._ctx.handleDeadLetters(bool(startHandling))

    def notifyOnSystemRegistrationChanges(self, startHandling: bool = True) -> None:
        """Receive ActorSystemConventionUpdate messages (no-op without conventions)."""
        self._ctx.notifyOnSystemRegistrationChanges(bool(startHandling))

    def registerSourceAuthority(self) -> None:
        """Become this system's Source Authority (replacing any previous one)."""
        self._ctx.registerSourceAuthority()

    def loadActorSource(self, fname: str | IO[bytes]) -> str:
        """Load a source archive (path or binary file); returns its hash at once."""
        return self._ctx.loadActorSource(fname)

    def unloadActorSource(self, sourceHash: str) -> None:
        """Forget a loaded source; an unknown hash is ignored."""
        self._ctx.unloadActorSource(sourceHash)

    def notifyOnSourceAvailability(self, enable: bool = True) -> None:
        """Receive LoadedSource / UnloadedSource notifications."""
        self._ctx.notifyOnSourceAvailability(bool(enable))

    def updateCapability(self, capabilityName: str, capabilityValue: Any = None) -> None:
        """Set (None: delete) a capability of the hosting system."""
        self._ctx.updateCapability(capabilityName, capabilityValue)

    def preRegisterRemoteSystem(self, remoteAddress: Any, remoteCapabilities: dict) -> None:
        """Invite a remote system into this system's convention."""
        self._ctx.preRegisterRemoteSystem(remoteAddress, remoteCapabilities)

    def deRegisterRemoteSystem(self, remoteAddress: Any) -> None:
        """Drop a (pre-)registered remote system from the convention."""
        self._ctx.deRegisterRemoteSystem(remoteAddress)

    def actorSystemShutdown(self) -> None:
        """Shut the whole local actor system down."""
        self._ctx.actorSystemShutdown()

    def logger(self, name: str | None = None) -> logging.LoggerAdapter:
        """A LoggerAdapter over ``logging.getLogger(name)`` whose records carry ``actorAddress``."""
        return logging.LoggerAdapter(
            logging.getLogger(name), {"actorAddress": str(self._ctx.address)}
        )


class _Super:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ActorTypeDispatcher.SUPER"


def _handlers_for(actorType: type, msgType: type) -> tuple[Callable[..., Any], ...]:
    found: list[Any] = []
    for t in msgType.__mro__:
        name = "receiveMsg_" + t.__name__
        seen: list[Any] = []
        for klass in actorType.__mro__:
            fn = klass.__dict__.get(name)
            if fn is None or any(fn is s for s in seen):
                continue
            seen.append(fn)
            found.append(fn)
    return tuple(found)


class ActorTypeDispatcher(Actor):
    """An Actor that calls ``receiveMsg_<TypeName>(message, sender)`` by the
    message's type (most derived first); handlers return ``self.SUPER`` to
    pass the message on. Unhandled messages go to
    ``receiveUnrecognizedMessage`` when defined, else are dropped."""

    SUPER = _Super()
    _dispatch_cache: dict[tuple[type, type], tuple[Any, ...]] = {}

    def receiveMessage(self, message: Any, sender: ActorAddress) -> Any:
        key = (type(self), type(message))
        handlers = ActorTypeDispatcher._dispatch_cache.get(key)
        if handlers is None:
            handlers = ActorTypeDispatcher._dispatch_cache[key] = _handlers_for(*key)
        sup = self.SUPER
        for fn in handlers:
            if type(fn) is FunctionType:
                result = fn(self, message, sender)
            else:  # staticmethod / classmethod / other descriptor
                result = fn.__get__(self, type(self))(message, sender)
            if result is not sup:
                if result.__class__ is CoroutineType:  # an async handler: SUPER is known once it is done
                    return _dispatch_rest(self, result, handlers[handlers.index(fn) + 1:], message, sender)
                return result
        unrecognized = getattr(self, "receiveUnrecognizedMessage", None)
        if unrecognized is not None:
            return unrecognized(message, sender)
        return None


async def _dispatch_rest(
    actor: ActorTypeDispatcher, first: Any, rest: tuple[Any, ...], message: Any, sender: ActorAddress
) -> Any:
    """Dispatch after an async handler: its result decides, as a plain one's
    does, whether the next handler (sync or async) is tried."""
    sup = actor.SUPER
    result = await first
    for fn in rest:
        if result is not sup:
            return result
        if type(fn) is FunctionType:
            result = fn(actor, message, sender)
        else:
            result = fn.__get__(actor, type(actor))(message, sender)
        if result.__class__ is CoroutineType:
            result = await result
    if result is not sup:
        return result
    unrecognized = getattr(actor, "receiveUnrecognizedMessage", None)
    if unrecognized is None:
        return None
    result = unrecognized(message, sender)
    if result.__class__ is CoroutineType:
        result = await result
    return result
