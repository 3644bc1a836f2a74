"""The system-side rules a base applies to its actors, written once for every
base: dead letters and their handler, messages held for a child that never
started, orphans, the checks of a create, what the system's own address
answers, capability changes (docs/api.md §2, §5). What happens once a message
reaches an actor is :mod:`.delivery`'s. Nothing here knows threads,
processes or transports.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Mapping, Protocol, TypeVar

from . import asyncactor
from .addresses import ActorAddress
from .capabilities import READ_ONLY, actor_accepts
from .creation import class_spec
from .errors import ActorSystemFailure
from .messages import (
    ChildActorExited,
    DeadEnvelope,
    PoisonMessage,
    Thespian_StatusReq,
    Thespian_SystemStatus,
    ValidatedSource,
)

#: What the reason of a PoisonMessage says for a message held for a child that never started.
CHILD_ABORTED = "Child Aborted"

_log = logging.getLogger("actorcore.delivery")


def dead_letter(
    target: ActorAddress,
    msg: Any,
    handler: ActorAddress | None,
    send: Callable[[Any, Any], None],
    sender: Any = None,
) -> None:
    """An undeliverable ``msg`` goes to the live dead letter ``handler`` (None:
    there is none) as a DeadEnvelope through ``send``. Dead letters and exit
    notices never become dead letters themselves; what is dropped is logged.
    The request of an ``await self.ask`` also ends that ask at once: its
    ``sender`` (when given) gets the failure; the handler sees the inner message."""
    if msg.__class__ is asyncactor.AskRequest:
        if sender is not None:
            send(sender, asyncactor.AskReply(
                msg.token, None, f"{target} is not running (the request became a dead letter)"))
        msg = msg.message
    if isinstance(msg, (DeadEnvelope, ChildActorExited)):
        _log.debug("undeliverable %r to %s dropped", msg, target)
    elif handler is None:
        _log.debug("dead letter to %s discarded (no handler): %r", target, msg)
    else:
        send(handler, DeadEnvelope(target, msg))


H = TypeVar("H")


def next_dead_letter_handler(handler: H | None, actor: H, start: bool) -> H | None:
    """The dead letter handler once ``actor`` calls ``handleDeadLetters(start)``
    (or, with ``start`` False, once it has ended): the last to start is the
    handler; stopping (or ending) clears only the actor's own registration."""
    if start:
        return actor
    return None if handler == actor else handler


def bounce_held(
    held: Iterable[tuple[Any, ActorAddress]],
    parent: ActorAddress | None,
    poison: Callable[[ActorAddress, Any], None],
    dead_letter: Callable[[Any], None],
) -> None:
    """Messages held for a child that never started (docs/api.md §2.4): the
    parent's come back to it as PoisonMessage, the others are dead letters;
    the request of an ``await self.ask`` is answered with the failure at once.
    (With ``parent`` None, everything goes to ``dead_letter``.)"""
    for msg, sender in held:
        if parent is not None and msg.__class__ is asyncactor.AskRequest:  # the asker hears at once
            poison(sender, asyncactor.AskReply(msg.token, None, f"the actor asked never started ({CHILD_ABORTED})"))
        elif parent is not None and sender == parent:
            poison(sender, PoisonMessage(msg, CHILD_ABORTED))
        else:
            dead_letter(msg)


class Kin(Protocol):
    """An actor as the bookkeeping of parents and children sees it."""

    parent: Any


K = TypeVar("K", bound=Kin)


def orphan(children: Iterable[K | None]) -> list[K]:
    """An actor ended while ``children`` (None: one already gone) were still
    its children: they become orphans, whose own end nobody hears of. Returns
    them; the caller empties its list of children."""
    orphans = [child for child in children if child is not None]
    for child in orphans:
        child.parent = None
    return orphans


def check_global_name(globalName: Any) -> None:
    """A create's ``globalName`` is None or a string; anything else is a TypeError."""
    if globalName is not None and not isinstance(globalName, str):
        raise TypeError(f"globalName must be a string, not {type(globalName).__name__}")


def capability_refusal(cls: type, capabilities: Mapping[str, Any], requirements: Any) -> str | None:
    """Why this system may not run ``cls`` (its ``actorSystemCapabilityCheck``
    refuses these capabilities), or None when it may."""
    # Most classes have no check: answer without the call (creates are hot).
    if getattr(cls, "actorSystemCapabilityCheck", None) is None or actor_accepts(
        cls, capabilities, requirements
    ):
        return None
    return f"{class_spec(cls)} does not accept this system's capabilities"


def system_requests(
    status: Callable[[], Thespian_SystemStatus],
    reply: Callable[[Any, Thespian_SystemStatus], None],
    verdict: Callable[[ValidatedSource, Any], None],
) -> dict[type, Callable[[Any, Any], None]]:
    """What a system's own address answers, as handlers ``(msg, sender)`` by
    message type (docs/api.md §3.12, §8.3): a status request gets ``status()``
    through ``reply``; a Source Authority's verdict goes to ``verdict``.
    Whatever else is sent there (an exit request, a stray reply) is ignored."""
    return {
        Thespian_StatusReq: lambda msg, sender: reply(sender, status()),
        ValidatedSource: verdict,
    }


class Placed(Protocol):
    """A running actor as a capability re-check sees it."""

    @property
    def cls(self) -> Any: ...

    @property
    def requirements(self) -> Any: ...


A = TypeVar("A", bound=Placed)


def update_capability(
    caps: dict[str, Any], name: Any, value: Any, running: Iterable[A]
) -> list[A] | None:
    """Apply ``updateCapability(name, value)`` to ``caps`` (None deletes) and
    return the ``running`` actors whose ``actorSystemCapabilityCheck`` no
    longer accepts the system: the caller sends each an ActorExitRequest.
    None if nothing changed (``running`` is then not read). Raises TypeError
    for a name that is not a string and ActorSystemFailure for a read-only one."""
    if not isinstance(name, str):
        raise TypeError(f"capability name must be a string, not {type(name).__name__}")
    if name in READ_ONLY:
        raise ActorSystemFailure(f"capability {name!r} is read-only; updateCapability refused")
    if value is None:
        if name not in caps:
            return None
        del caps[name]
    else:
        try:
            if name in caps and caps[name] == value:
                return None
        except Exception:  # a value that cannot be compared counts as a change
            pass
        caps[name] = value
    return [a for a in running if not actor_accepts(a.cls, caps, a.requirements)]
