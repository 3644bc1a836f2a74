"""The seam between the admin and its convention, declared from both sides.

:class:`ConventionHost` is what the convention code (:mod:`.conventions`,
:mod:`.convnames`) may ask of the admin that runs it; :class:`AdminConvention`
is what the admin asks of a convention. :class:`NoConvention` is the
convention of a system whose base has none (no peer transport): it joins
nobody, places nothing elsewhere, and keeps global names the way a lone
system does, so the admin never asks whether it has a convention.

Imports neither the admin nor the convention code: both import this.
"""
from __future__ import annotations

import logging
import math
from typing import Any, Callable, Protocol

from ..addresses import ActorAddress
from . import protocol
from .registry import ActorRegistry, Entry

_log = logging.getLogger("actorcore.convention")

Handler = Callable[[Any, Any], None]  # (message, sender)

#: The admin messages only a convention handles.
CONVENTION_MESSAGES: tuple[type, ...] = (
    protocol.ConventionRegister, protocol.ConventionWelcome, protocol.ConventionLeave,
    protocol.ConventionInvite, protocol.RegistrationWatch, protocol.PreRegister,
    protocol.DeRegister, protocol.NameAsk, protocol.NameAnswer, protocol.NameBound,
    protocol.NameReleased,
)

Status = tuple[ActorAddress | None, list[tuple[ActorAddress, float]], float | None]


class ConventionHost(Protocol):
    """What a convention needs of the admin that runs it."""

    me: str
    capabilities: dict[str, Any]
    registry: ActorRegistry

    def send_msg(self, target: Any, msg: Any) -> None:
        """Send a message from the admin to an actor, a client or another system."""

    def dead_letter(self, env: Any) -> None:
        """An envelope that cannot be delivered."""

    def remote_system_gone(self, sysid: str) -> None:
        """A peer is gone: what it hosted or was asked to host for us has ended."""

    def create(self, req: protocol.CreateActor, sender: Any) -> None:
        """A create as if just received: a global name is looked up first."""

    def create_here(self, req: protocol.CreateActor, sender: Any) -> None:
        """A create whose global name is settled: host it here, or place it."""

    def create_failed(self, req: protocol.CreateActor, kind: protocol.CreateFailure, text: str) -> None:
        """Tell whoever waits for ``req`` that it failed, and why."""

    def source_pending(self, digest: str) -> bool:
        """Whether a loaded source still waits for its authority's verdict."""


class Names(Protocol):
    """Who keeps the global names of this system's actors."""

    def create(self, req: protocol.CreateActor, sender: Any) -> None:
        """A create with a ``globalName``, asked of this system."""

    def placed(self, entry: Entry) -> None:
        """A named actor this system placed on another runs there now."""

    def released(self, entry: Entry) -> None:
        """A named actor is exiting or gone: its name is free."""


class AdminConvention(Protocol):
    """What the admin asks of its convention (or of :class:`NoConvention`)."""

    @property
    def names(self) -> Names:
        """Who keeps global names (the convention's leader, or this system)."""

    def handlers(self) -> dict[type, Handler]:
        """Handlers for :data:`CONVENTION_MESSAGES`, by message type."""

    def start(self) -> None: ...

    def tick(self, now: float) -> None: ...

    def next_due(self) -> float:
        """Seconds until :meth:`tick` has something to do."""

    def on_event(self, env: Any) -> None:
        """A peer transport's event (an envelope whose target is ``""``)."""

    def send(self, sysid: str, env: Any) -> bool:
        """Send an envelope to another system; False when no way there is known."""

    def send_admin(self, sysid: str, msg: Any) -> bool:
        """Send a message from this admin to another system's admin."""

    def knows(self, sysid: str) -> bool:
        """Whether ``sysid`` is, or was, a system of this convention."""

    def is_leader(self, sysid: str) -> bool:
        """Whether ``sysid`` leads this system."""

    def place(self, req: protocol.CreateActor, cls: Any) -> tuple[str, protocol.CreateActor] | None:
        """Where to forward a create this system cannot host (None: nowhere)."""

    def unplaced_note(self, req: protocol.CreateActor) -> str:
        """Why a create this system cannot host went nowhere else ("" if nothing to add)."""

    def log_to_leader(self, record: dict[str, Any]) -> None:
        """A warning or worse logged here also goes to the leader's log."""

    def forget_actor(self, actor: Any) -> None: ...

    def capabilities_changed(self) -> None: ...

    def leave(self) -> None: ...

    def status(self) -> Status: ...

    def peer_table(self) -> list[dict[str, Any]]:
        """The known systems, as ``Thespian_SystemStatus.conventionMembers`` rows."""


class LocalNames:
    """The names of a system in no convention: its own registry has them."""

    def __init__(self, host: ConventionHost) -> None:
        self.host = host

    def create(self, req: protocol.CreateActor, sender: Any) -> None:
        existing = self.host.registry.named(req.globalName)  # type: ignore[arg-type]
        if existing is not None:
            self.host.send_msg(req.reply_to, protocol.Created(req_id=req.req_id, actor=existing.id))
            return
        self.host.create_here(req, sender)

    def placed(self, entry: Entry) -> None:
        pass  # never: nothing is placed elsewhere

    def released(self, entry: Entry) -> None:
        pass  # the registry forgets the name with its actor


class NoConvention:
    """The convention of a base without one: it knows no other system."""

    def __init__(self, host: ConventionHost) -> None:
        self.host = host
        self.names: Names = LocalNames(host)

    def handlers(self) -> dict[type, Handler]:
        return dict.fromkeys(CONVENTION_MESSAGES, self._ignored)

    @staticmethod
    def _ignored(msg: Any, sender: Any) -> None:
        _log.info("%s ignored: this base has no conventions", type(msg).__name__)

    def start(self) -> None:
        pass

    def tick(self, now: float) -> None:
        pass

    def next_due(self) -> float:
        return math.inf

    def on_event(self, env: Any) -> None:
        self.host.dead_letter(env)  # no peers here: nobody sends events

    def send(self, sysid: str, env: Any) -> bool:
        return False

    def send_admin(self, sysid: str, msg: Any) -> bool:
        return False

    def knows(self, sysid: str) -> bool:
        return False

    def is_leader(self, sysid: str) -> bool:
        return False

    def place(self, req: protocol.CreateActor, cls: Any) -> tuple[str, protocol.CreateActor] | None:
        return None

    def unplaced_note(self, req: protocol.CreateActor) -> str:
        return ""

    def log_to_leader(self, record: dict[str, Any]) -> None:
        pass

    def forget_actor(self, actor: Any) -> None:
        pass

    def capabilities_changed(self) -> None:
        pass

    def leave(self) -> None:
        pass

    def status(self) -> Status:
        return None, [], None

    def peer_table(self) -> list[dict[str, Any]]:
        return []
