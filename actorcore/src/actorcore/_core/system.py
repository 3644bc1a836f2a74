"""ActorSystem and ExternalContext: the interface for code outside actors (docs/api.md §3)."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import IO, Any, Iterator

from .. import logsetup
from . import asyncclient, plugins
from .addresses import ActorAddress
from .asyncactor import AskRequest
from .base import NOTHING, Endpoint, SystemBase
from .errors import ActorSystemFailure, SystemBaseNotInstalled
from .messages import (
    ActorSystemMessage,
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_SystemStatus,
)
from .registry import KNOWN_DISTRIBUTIONS
from .sources import read_source
from .sysrules import check_global_name
from .timeouts import Timeout, to_seconds

DEFAULT_BASE = "simpleSystemBase"

_singleton_lock = threading.RLock()
_current: tuple[str, SystemBase[Any]] | None = None

_PASSED_SYSTEM_MESSAGES = (Thespian_SystemStatus, Thespian_ActorStatus)


def _wanted(msg: Any) -> bool:
    """ask/listen filtering: system messages are swallowed, except status
    replies and PoisonMessages that do not wrap a system message."""
    if not isinstance(msg, ActorSystemMessage):
        return True
    if isinstance(msg, PoisonMessage):
        return not isinstance(msg.poisonMessage, ActorSystemMessage)
    return isinstance(msg, _PASSED_SYSTEM_MESSAGES)


#: systemUpdate kinds Thespian's programs and tests use that are done otherwise here.
_UPDATES_ELSEWHERE = {
    "dupLogToFile": "; to also log to a file, give ActorSystem(logDefs=...) a file handler",
}


def _processing_limit(limit: Any = 0) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"setProcessingLimit takes an int, not {type(limit).__name__} {limit!r}")
    if limit < 0:
        raise ValueError(f"setProcessingLimit takes 0 (no limit) or a positive int, not {limit}")
    return limit


def _start_base(name: str, capabilities: Any, logDefs: Any, transientUnique: bool) -> SystemBase[Any]:
    info = plugins.registry().get(name)
    if info is None:
        installed = ", ".join(plugins.registry().names()) or "none"
        dist = KNOWN_DISTRIBUTIONS.get(name)
        hint = (
            f"Install {dist} to add it."
            if dist
            else "Check the spelling, or install the plugin that provides it."
        )
        raise SystemBaseNotInstalled(
            f"No system base named {name!r} is installed; installed: {installed}. {hint}",
            name,
        )
    return info.factory(capabilities, logDefs, transientUnique)


class _Client:
    """What ActorSystem and ExternalContext share: one endpoint on one system."""

    _base: SystemBase[Any]
    _endpoint: Endpoint

    def _live(self) -> SystemBase[Any]:
        base = self._base
        if base.is_shutdown:
            raise ActorSystemFailure("this ActorSystem has been shut down; start a new one")
        return base

    def createActor(
        self,
        actorClass: type | str,
        targetActorRequirements: Any = None,
        globalName: str | None = None,
        sourceHash: str | None = None,
    ) -> ActorAddress:
        """Create a top-level actor (parent: the system) and return its address.

        Raises InvalidActorSpecification, ImportError, NoCompatibleSystemForActor,
        InvalidActorSourceHash, ActorSystemRequestTimeout or ActorSystemFailure.
        """
        if globalName is not None:  # the common create pays no call
            check_global_name(globalName)
        return self._live().createActor(
            self._endpoint, actorClass, targetActorRequirements, globalName, sourceHash
        )

    def tell(self, actorAddr: ActorAddress, msg: Any) -> None:
        """Send ``msg`` to ``actorAddr``; ValueError if it is not an ActorAddress."""
        if actorAddr.__class__ is not ActorAddress and not isinstance(actorAddr, ActorAddress):
            raise ValueError(f"tell/ask need an ActorAddress as target, got {actorAddr!r}")
        base = self._base
        if base.is_shutdown:
            self._live()
        base.tell(self._endpoint, actorAddr, msg)

    def listen(self, timeout: Timeout = None) -> Any:
        """The next (non-system) message to this endpoint, or None on timeout."""
        return self._listen(to_seconds(timeout))

    def _listen(self, seconds: float | None) -> Any:
        base = self._base
        if base.is_shutdown:
            self._live()
        endpoint = self._endpoint
        deadline = None
        while True:
            msg = base.receive(endpoint, seconds)
            if msg is NOTHING:
                return None
            if _wanted(msg):
                return msg
            if msg.__class__ is AskRequest:  # an actor's await self.ask, to this endpoint
                return msg.message
            if seconds is not None:  # swallowed a system message: wait only for what is left
                if deadline is None:
                    deadline = time.monotonic() + seconds
                seconds = max(0.0, deadline - time.monotonic())

    def ask(self, actorAddr: ActorAddress, msg: Any, timeout: Timeout = None) -> Any:
        """``tell`` then ``listen``: the next message to this endpoint, or None."""
        seconds = to_seconds(timeout)
        if actorAddr.__class__ is not ActorAddress and not isinstance(actorAddr, ActorAddress):
            raise ValueError(f"tell/ask need an ActorAddress as target, got {actorAddr!r}")
        base = self._base
        if base.is_shutdown:
            self._live()
        fast = getattr(base, "ask", None)
        if fast is None:  # the base offers only tell and receive
            base.tell(self._endpoint, actorAddr, msg)
            return self._listen(seconds)
        reply = fast(self._endpoint, actorAddr, msg, seconds)
        if reply is NOTHING:
            return None
        if _wanted(reply):
            return reply
        if reply.__class__ is AskRequest:
            return reply.message
        return self._listen(seconds)  # a system message came first: keep waiting

    async def ask_async(self, actorAddr: ActorAddress, msg: Any, timeout: Timeout = None) -> Any:
        """``ask`` for a running event loop: awaits the reply without blocking
        the loop. The same results as ``ask`` (None on timeout, a PoisonMessage
        for a message that cannot be sent), except that a target known to be
        dead raises ActorSystemFailure at once. Concurrent calls each get their
        own reply. See docs/asyncio.md."""
        seconds = to_seconds(timeout)
        if actorAddr.__class__ is not ActorAddress and not isinstance(actorAddr, ActorAddress):
            raise ValueError(f"tell/ask need an ActorAddress as target, got {actorAddr!r}")
        base = self._base
        if base.is_shutdown:
            self._live()
        return await asyncclient.ask_async(base, actorAddr, msg, seconds, _wanted)

    def updateCapability(self, capabilityName: str, capabilityValue: Any = None) -> None:
        """Set (None: delete) a capability of the system; ActorSystemFailure if refused."""
        self._live().updateCapability(self._endpoint, capabilityName, capabilityValue)

    def loadActorSource(self, fname: str | IO[bytes]) -> str:
        """Load actor code from a zip archive; returns its hash (usable once validated)."""
        data, info = read_source(fname)
        return self._live().loadActorSource(self._endpoint, data, info)

    def unloadActorSource(self, sourceHash: str) -> None:
        """Forget a loaded source; unknown hashes are ignored."""
        self._live().unloadActorSource(self._endpoint, sourceHash)


class ExternalContext(_Client):
    """A private endpoint on a system, yielded by ``ActorSystem.private()``:
    replies to its ``ask`` reach only it. Meant for one thread."""

    def __init__(self, base: SystemBase[Any]) -> None:
        self._base = base
        self._endpoint = base.open_endpoint()

    @property
    def myAddress(self) -> ActorAddress:
        return self._endpoint.address


class ActorSystem(_Client):
    """Starts, attaches to, and talks to an actor system (docs/api.md §3.1).

    ``ActorSystem()`` is a process singleton unless ``transientUnique=True``.
    """

    def __init__(
        self,
        systemBase: str | None = None,
        capabilities: dict[str, Any] | None = None,
        logDefs: Any = None,
        transientUnique: bool = False,
    ) -> None:
        global _current
        if systemBase is not None and not isinstance(systemBase, str):
            raise TypeError(f"systemBase must be a base name string, not {systemBase!r}")
        if capabilities is not None and not isinstance(capabilities, dict):
            raise TypeError(f"capabilities must be a dict, not {type(capabilities).__name__}")
        logsetup.check(logDefs)
        self._transient = bool(transientUnique)
        if self._transient:
            self._base = _start_base(systemBase or DEFAULT_BASE, capabilities, logDefs, True)
        else:
            with _singleton_lock:
                cur = _current
                if cur is not None and cur[1].is_shutdown:
                    cur = _current = None
                if cur is not None and (systemBase is None or systemBase == cur[0]):
                    self._base = cur[1]
                else:
                    name = systemBase or DEFAULT_BASE
                    self._base = _start_base(name, capabilities, logDefs, False)
                    _current = (name, self._base)
        self._endpoint = self._base.open_endpoint()
        self._caps = dict(self._base.capabilities)

    @property
    def systemAddress(self) -> ActorAddress:
        """The admin's address: ``ask(systemAddress, Thespian_StatusReq())`` works."""
        return self._base.systemAddress

    @property
    def capabilities(self) -> dict[str, Any]:
        """The capabilities at construction plus this handle's updates (not live)."""
        return self._caps

    @property
    def systemBaseName(self) -> str:
        return self._base.baseName

    def updateCapability(self, capabilityName: str, capabilityValue: Any = None) -> None:
        super().updateCapability(capabilityName, capabilityValue)
        if capabilityValue is None:
            self._caps.pop(capabilityName, None)
        else:
            self._caps[capabilityName] = capabilityValue

    def systemUpdate(self, updateType: str, *updateArgs: Any, **updateKWArgs: Any) -> None:
        """Thespian's back door for test controls; the kinds it documents that
        mean something here:

        - ``'setProcessingLimit', limit``: on a base whose caller delivers the
          messages (the simple base), one ``tell``/``ask``/``listen`` that
          delivers more than ``limit`` messages raises RuntimeError instead of
          looping forever; ``0`` lifts the limit. Multiprocess bases never
          deliver in the caller: accepted, nothing to limit.

        Any other kind raises ValueError saying what to use instead
        (Thespian ignored unknown kinds silently).
        """
        base = self._live()
        if updateType == "setProcessingLimit":
            limit = _processing_limit(*updateArgs, **updateKWArgs)
            setter = getattr(base, "set_processing_limit", None)
            if setter is not None:
                setter(limit)
            return
        instead = _UPDATES_ELSEWHERE.get(updateType, "")
        raise ValueError(
            f"systemUpdate({updateType!r}) is not provided: actorcore knows only "
            f"'setProcessingLimit'{instead}"
        )

    @contextmanager
    def private(self) -> Iterator[ExternalContext]:
        """A context with its own endpoint, closed on exit."""
        ctx = ExternalContext(self._live())
        try:
            yield ctx
        finally:
            ctx._endpoint.close()

    def shutdown(self) -> None:
        """Stop the system: every actor exits, then the admin. Harmless twice.

        Returns only when every actor (and process) of the system is gone.
        """
        global _current
        self._base.shutdown()
        asyncclient.release(self._base)
        if not self._transient:
            with _singleton_lock:
                if _current is not None and _current[1] is self._base:
                    _current = None

    def __enter__(self) -> ActorSystem:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
