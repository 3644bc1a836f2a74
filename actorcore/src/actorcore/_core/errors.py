"""The exception hierarchy of the public API (docs/api.md §3.11).

Constructor signatures are public: users construct and catch these.
"""
from __future__ import annotations

from typing import Any


class ActorSystemException(Exception):
    """Base of every exception the actor system raises on purpose."""


class InvalidActorAddress(ActorSystemException):
    """The target of a send is not a usable address (or, with
    :class:`ActorSystemStartupFailure`, the admin could not be reached)."""

    def __init__(self, addr: Any = None, desc: str = "") -> None:
        super().__init__(addr, desc)
        self.actorAddress = addr
        self.desc = desc

    def __str__(self) -> str:
        if self.desc:
            return f"{self.desc}: {self.actorAddress!r}"
        return f"Invalid actor address: {self.actorAddress!r}"


class NoCompatibleSystemForActor(ActorSystemException):
    """No system accepts the actor's capability requirements."""

    def __init__(self, actorClass: Any = None, msg: str = "") -> None:
        super().__init__(actorClass, msg)
        self.actorClass = actorClass
        self.msg = msg

    def __str__(self) -> str:
        # Thespian's wording first: programs and their tests match on it
        head = f"No compatible ActorSystem could be found for Actor {self.actorClass!r}"
        return f"{head}: {self.msg}" if self.msg else head


class ActorSystemFailure(ActorSystemException):
    """An unexpected failure of a system request."""


class ActorSystemStartupFailure(ActorSystemFailure):
    """The actor system could not be started or attached to."""


class ActorSystemRequestTimeout(ActorSystemFailure):
    """A system request got no answer within its limit."""


class InvalidActorSourceHash(ActorSystemException):
    """The named source hash is not loaded (or was rejected)."""

    def __init__(self, badHash: Any = None) -> None:
        super().__init__(badHash)
        self.sourceHash = badHash

    def __str__(self) -> str:
        # Thespian's wording: programs and their tests match on it
        return f"Source hash {self.sourceHash} does not match any loaded sources."


class InvalidActorSpecification(ActorSystemException):
    """The actor class given to ``createActor`` is not usable."""

    def __init__(self, spec: Any = None, reason: str | None = None) -> None:
        super().__init__(spec, reason)
        self.actorClass = spec
        self.reason = reason

    def __str__(self) -> str:
        base = f"Invalid Actor Specification: {self.actorClass}"  # Thespian's wording
        return f"{base} ({self.reason})" if self.reason else base


class ActorSystemStartupError(ActorSystemStartupFailure, InvalidActorAddress):
    """Startup failure: both an :class:`ActorSystemStartupFailure` and an
    :class:`InvalidActorAddress` (docs/api.md §3.1, Appendix A #9)."""

    def __init__(self, message: str, addr: Any = None) -> None:
        Exception.__init__(self, message)
        self.actorAddress = addr
        self.desc = message

    def __str__(self) -> str:
        return self.desc


class SystemBaseNotInstalled(ImportError, ActorSystemStartupFailure):
    """The requested system base is not provided by any installed plugin."""

    def __init__(self, message: str, baseName: str = "") -> None:
        ImportError.__init__(self, message)
        self.baseName = baseName
