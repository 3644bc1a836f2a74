"""Actors that wait for their set-up messages first (docs/api.md §1.3; Thespian's
``thespian.initmsgs``).

``@initializing_messages(initset, initdone=None, init_passthru=False)``: each
``initset`` entry ``(attr, type)`` or ``(attr, type, True)`` stores the latest
message of that type as ``self.<attr>`` (and, with ``True``, its sender as
``self.<attr>_sender``). Until every entry has had a message, other ordinary
messages are held; once the set is complete the method named ``initdone`` is
called and the held messages are handled in the order they came, before
anything that arrives later. System messages are never held. Built on the
public actor API only.

    @initializing_messages([("config", Config, True), ("store", ActorAddress)],
                           initdone="ready")
    class Indexer(ActorTypeDispatcher): ...
"""
from __future__ import annotations

import inspect
import traceback
from typing import Any, Callable, Coroutine, Iterable

from ._core.decorating import Receive, wrap_receive
from .actors import Actor, ActorAddress, ActorExitRequest, ActorSystemMessage, PoisonMessage

__all__ = ["initializing_messages"]

#: One ``initset`` entry after checking: attribute, type(s), keep the sender.
_Entry = tuple[str, Any, bool]


def initializing_messages(
    initset: Iterable[tuple[Any, ...]],
    initdone: str | None = None,
    init_passthru: bool = False,
) -> Callable[[type], type]:
    """Hold the decorated Actor's ordinary messages until ``initset`` is complete.

    ``init_passthru=True`` hands every message to the class's code at once
    (still storing the initialising ones). Cannot be combined with ``@troupe``.
    Raises ``TypeError`` for a malformed ``initset`` or ``initdone``.
    """
    entries = _checked(initset)
    names = {attr for attr, _kind, _keep in entries}
    if initdone is not None and not (isinstance(initdone, str) and initdone.isidentifier()):
        raise TypeError(f"initializing_messages initdone must be a method name, not {initdone!r}")

    def make(original: Receive) -> Receive:
        def receiveMessage(self: Actor, message: Any, sender: ActorAddress) -> Any:
            state = self.__dict__.get("_initmsgs")
            if state is None:
                state = self._initmsgs = _Pending()  # type: ignore[attr-defined]
            elif state.done:
                return original(self, message, sender)
            matched = False
            for attr, kind, keep_sender in entries:
                if isinstance(message, kind):
                    matched = True
                    state.got.add(attr)
                    setattr(self, attr, message)
                    if keep_sender:
                        setattr(self, attr + "_sender", sender)
            result = None
            if init_passthru or isinstance(message, ActorSystemMessage):
                result = original(self, message, sender)
                if isinstance(message, ActorExitRequest):
                    state.bounce(self)
                    return result
            elif not matched:
                state.held.append((message, sender))
            if state.got >= names:
                replaying = state.complete(self, original, initdone)
                if replaying is not None:  # async handlers: the held messages run after this one
                    return _then(result, replaying)
            return result

        return receiveMessage

    return lambda cls: wrap_receive(cls, "initializing_messages", make)


class _Pending:
    """One actor's progress through its initialising messages."""

    def __init__(self) -> None:
        self.got: set[str] = set()
        self.held: list[tuple[Any, ActorAddress]] = []
        self.done = False

    def complete(self, actor: Any, original: Receive, initdone: str | None) -> Coroutine[Any, Any, None] | None:
        if initdone is not None:
            method = getattr(actor, initdone, None)
            if callable(method):
                # Raising here leaves the actor uninitialised: the message that
                # completed the set is retried, then comes back to its sender.
                method()
            else:
                actor.logger(type(actor).__name__).warning(
                    "%s has no method %r to call once initialised (initdone)",
                    type(actor).__name__, initdone,
                )
        self.done = True
        return self.replay(actor, original)

    def replay(self, actor: Any, original: Receive) -> Coroutine[Any, Any, None] | None:
        """Handle the held messages in order; once one turns out to be async,
        the coroutine that awaits it and then handles the rest (the actor
        handles one message at a time, so what arrives meanwhile waits)."""
        while self.held:
            message, sender = self.held.pop(0)
            pending = _replay(actor, original, message, sender)
            if pending is not None:
                return self._replay_rest(actor, original, pending)
        return None

    async def _replay_rest(self, actor: Any, original: Receive, pending: Coroutine[Any, Any, None]) -> None:
        await pending
        while self.held:
            message, sender = self.held.pop(0)
            more = _replay(actor, original, message, sender)
            if more is not None:
                await more

    def bounce(self, actor: Any) -> None:
        """The actor is exiting before it was initialised: return what it held."""
        held, self.held = self.held, []
        for message, sender in held:
            actor.send(sender, PoisonMessage(message, "the actor exited before it was initialised"))


def _replay(actor: Any, original: Receive, message: Any, sender: ActorAddress) -> Coroutine[Any, Any, None] | None:
    """Handle one held message as the system would: a second try, then
    PoisonMessage. An async handler's coroutine comes back, to be awaited."""
    try:
        result = original(actor, message, sender)
    except Exception:
        _failed(actor, message, sender, 1)
        try:
            result = original(actor, message, sender)
        except Exception:
            _failed(actor, message, sender, 2)
            return None
        if inspect.iscoroutine(result):
            return _awaited(actor, original, message, sender, result, 2)
        return None
    if inspect.iscoroutine(result):
        return _awaited(actor, original, message, sender, result, 1)
    return None


async def _awaited(
    actor: Any, original: Receive, message: Any, sender: ActorAddress, handling: Any, attempt: int
) -> None:
    while True:
        try:
            await handling
            return
        except Exception:
            _failed(actor, message, sender, attempt)
            if attempt == 2:
                return
            attempt = 2
            try:
                handling = original(actor, message, sender)
            except Exception:
                _failed(actor, message, sender, 2)
                return
            if not inspect.iscoroutine(handling):
                return


def _failed(actor: Any, message: Any, sender: ActorAddress, attempt: int) -> None:
    log = actor.logger(type(actor).__name__)
    if attempt == 1:
        log.warning("%s failed on held %r; retrying once", type(actor).__name__, message, exc_info=True)
    else:
        log.error("%s failed twice on held %r", type(actor).__name__, message, exc_info=True)
        actor.send(sender, PoisonMessage(message, traceback.format_exc()))


async def _then(first: Any, replaying: Coroutine[Any, Any, None]) -> Any:
    """The message that completed the set (its handler's result, awaited if
    async), then the held ones."""
    result = await first if inspect.iscoroutine(first) else first
    await replaying
    return result


def _checked(initset: Iterable[tuple[Any, ...]]) -> list[_Entry]:
    try:
        given = list(initset)
    except TypeError:
        raise TypeError(f"initializing_messages initset must be a list of tuples, not {initset!r}")
    entries: list[_Entry] = []
    for entry in given:
        ok = isinstance(entry, tuple) and len(entry) in (2, 3)
        if ok:
            attr, kind = entry[0], entry[1]
            ok = isinstance(attr, str) and attr.isidentifier() and _is_type_spec(kind)
        if not ok:
            raise TypeError(
                "initializing_messages initset entries are (attribute, type) or "
                f"(attribute, type, True), not {entry!r}"
            )
        entries.append((attr, kind, len(entry) == 3 and bool(entry[2])))
    if not entries:
        raise TypeError("initializing_messages needs at least one (attribute, type) entry")
    return entries


def _is_type_spec(kind: Any) -> bool:
    if isinstance(kind, tuple):
        return bool(kind) and all(isinstance(k, type) for k in kind)
    return isinstance(kind, type)
