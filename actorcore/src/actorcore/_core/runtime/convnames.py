"""Global names across a convention (issue 11): one actor per ``globalName``.

Names used to be kept per system (as in Thespian), so a name created through
one member could be created again through another. Now a convention's names
are kept by its leader. An admin asked for a name it has no actor of asks the
name's *keeper* (its first live leader; itself when it leads or belongs to no
convention). The keeper answers with the actor that has the name, or reserves
the name for the asker, which creates the actor as any create (placed where
its capabilities fit) and then tells the keeper the actor's address, or gives
the name back if the create failed. Asks for a reserved name wait for that
answer, and creates of one name inside one system wait for the one under way,
so concurrent creates of one name anywhere in the convention yield one actor.

A name is given back when its actor exits (the systems that know the actor by
name say so) and dropped by the keeper when the system the actor ran on
leaves the convention. A member that knows no live leader keeps the names it
creates for itself, with a warning, and tells them to the next leader that
welcomes it; a create whose keeper does not answer within ``ASK_LIMIT``
fails, saying so.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Protocol, cast

import attrs

from ..transport import system_of
from . import limits, protocol
from .convhost import ConventionHost
from .convpeers import Peer
from .protocol import CreateFailure
from .registry import LIVE, PENDING, REMOTE, Entry

_log = logging.getLogger("actorcore.convention")

ASK_LIMIT = limits.CREATE_LIMIT / 2  # a create waits this long for its name: it fails clearly, in time
HOLD_LIMIT = limits.CREATE_LIMIT  # a reservation never confirmed lapses (its create gave up by then)


@attrs.define(eq=False)
class Slot:
    """One name in the keeper's table."""

    owner: str  # the system it is reserved for, or that told us its actor
    actor: Any = None  # None: reserved, the owner's create is under way
    host: str = ""  # the system the actor runs on
    until: float = 0.0  # a reservation lapses then
    waiting: list[str] = attrs.Factory(list)  # systems whose asks wait for the reservation


class NameTable:
    """The keeper's names: per name one actor, or one reservation and the asks waiting for it."""

    def __init__(self, answer: Callable[[str, str, Any], None]) -> None:
        self.slots: dict[str, Slot] = {}
        self.answer = answer  # (system, name, actor); actor None: "reserved for you"

    def ask(self, name: str, sysid: str, now: float) -> None:
        slot = self.slots.get(name)
        if slot is not None and slot.actor is not None:
            self.answer(sysid, name, slot.actor)
        elif slot is None or slot.owner == sysid:
            # an owner asking again lost our answer: a system has one ask per name at a time
            waiting = slot.waiting if slot is not None else []
            self.slots[name] = Slot(sysid, until=now + HOLD_LIMIT, waiting=waiting)
            self.answer(sysid, name, None)
        elif sysid not in slot.waiting:
            slot.waiting.append(sysid)

    def bind(self, name: str, actor: Any, host: str, sysid: str) -> None:
        slot = self.slots.get(name)
        if slot is not None and slot.actor is not None:
            if slot.actor == actor:
                slot.host = host or slot.host
            else:  # made while the two could not agree (no leader, a partition): the first stays
                _log.warning("convention: globalName %r is %s; %s, created under that name by %s "
                             "while out of touch, is not found by it", name, slot.actor, actor, sysid)
            return
        if slot is None:
            slot = self.slots[name] = Slot(sysid)
        slot.owner, slot.actor, slot.host = sysid, actor, host
        waiting, slot.waiting = slot.waiting, []
        for asker in waiting:
            self.answer(asker, name, actor)

    def release(self, name: str, actor: Any, sysid: str, now: float) -> None:
        slot = self.slots.get(name)
        if slot is None:
            return
        if (slot.actor == actor) if slot.actor is not None else (slot.owner == sysid):
            self._drop(name, slot, now)

    def system_gone(self, sysid: str, now: float) -> None:
        """Names of actors that ran on ``sysid`` (or whose address it routed)
        go, and so do its reservations and the asks it was waiting on."""
        for slot in self.slots.values():
            if sysid in slot.waiting:
                slot.waiting.remove(sysid)
        for name, slot in list(self.slots.items()):
            if slot.actor is None:
                gone = slot.owner == sysid
            else:
                gone = slot.host == sysid or (isinstance(slot.actor, str) and system_of(slot.actor) == sysid)
            if gone and self.slots.get(name) is slot:
                self._drop(name, slot, now)

    def expire(self, now: float) -> None:
        for name, slot in list(self.slots.items()):
            if slot.actor is None and now > slot.until and self.slots.get(name) is slot:
                _log.warning("convention: the reservation of globalName %r for %s lapsed: "
                             "its create never reported", name, slot.owner)
                self._drop(name, slot, now)

    def _drop(self, name: str, slot: Slot, now: float) -> None:
        del self.slots[name]
        for asker in slot.waiting:
            self.ask(name, asker, now)  # the first gets the reservation, the others wait on


class Keepers(Protocol):
    """What the names need of their convention: who leads, and a way to it."""

    @property
    def is_member(self) -> bool: ...

    def leader(self) -> Peer | None: ...

    def send_admin(self, sysid: str, msg: Any) -> bool: ...


@attrs.define(eq=False)
class Busy:
    """The creates of one name in this system: the first asks (then creates), the rest wait."""

    keeper: str | None  # the system asked; None: nobody (no live leader known)
    queue: list[tuple[protocol.CreateActor, Any, float]]  # (request, sender, give up at)
    granted: bool = False
    entry: Entry | None = None  # the actor being placed on another system, until it runs


class ConventionNames:
    """One admin's part in keeping names convention-wide: its own creates of
    named actors, and (when it leads) the table its members ask."""

    def __init__(self, host: ConventionHost, conv: Keepers) -> None:
        self.host = host
        self.conv = conv
        self.me: str = host.me
        self.table = NameTable(self._answer)
        self.busy: dict[str, Busy] = {}
        self.alone_warned = False

    def keeper(self) -> str | None:
        """Who keeps this system's names: its first live leader, itself when it
        is no member, None when it is a member that knows no live leader."""
        if not self.conv.is_member:
            return self.me
        leader = self.conv.leader()
        return leader.sysid if leader is not None else None

    # -- creates of named actors in this system ---------------------------------
    def create(self, req: protocol.CreateActor, sender: Any) -> None:
        """A create with a globalName asked of this system (not one placed here
        by another system: its origin has the name already)."""
        name = cast(str, req.globalName)  # a string: the admin's create checked it
        now = time.monotonic()
        busy = self.busy.get(name)
        if busy is not None:
            if busy.granted and busy.queue[0][0] is req:  # back from waiting for its source's verdict
                self._create(name, busy)
            else:
                busy.queue.append((req, sender, now + ASK_LIMIT))
            return
        entry = self.host.registry.named(name)
        if entry is not None:
            self.host.send_msg(req.reply_to, protocol.Created(req_id=req.req_id, actor=entry.id))
            return
        busy = self.busy[name] = Busy(self.keeper(), [(req, sender, now + ASK_LIMIT)])
        self._ask(name, busy, now)

    def _ask(self, name: str, busy: Busy, now: float) -> None:
        if busy.keeper == self.me:
            self.table.ask(name, self.me, now)
            return
        if busy.keeper is not None and self.conv.send_admin(busy.keeper, protocol.NameAsk(sysid=self.me, name=name)):
            return
        if not self.alone_warned:
            self.alone_warned = True
            _log.warning("convention: no live leader to keep globalName %r; until one welcomes this "
                         "system, the names it creates are unique on it only", name)
        busy.keeper = None
        self._granted(name, busy)

    def _answered(self, keeper: str, name: str, actor: Any) -> None:
        busy = self.busy.get(name)
        if busy is None or busy.granted or busy.keeper != keeper:
            if actor is None and not (busy is not None and busy.granted and busy.keeper == keeper):
                self._release_to(keeper, name, None)  # nobody here waits for it now: give it back
            return
        if actor is None:
            self._granted(name, busy)
            return
        del self.busy[name]
        for req, _, _ in busy.queue:
            self.host.send_msg(req.reply_to, protocol.Created(req_id=req.req_id, actor=actor))

    def _granted(self, name: str, busy: Busy) -> None:
        busy.granted = True
        found = self.host.registry.named(name)
        if found is not None:  # placed here by another system meanwhile: that one it is
            self._bind(found)
            self._done(name, 0)
            return
        self._create(name, busy)

    def _create(self, name: str, busy: Busy) -> None:
        req, sender, _ = busy.queue[0]
        self.host.create_here(req, sender)
        entry = self.host.registry.named(name)
        if entry is None and req.sourceHash is not None and self.host.source_pending(req.sourceHash):
            return  # it waits for its source's verdict, then comes back through create()
        if entry is not None and entry.remote is not None:
            busy.entry = entry  # placed on another system: the name is bound once it runs there
            return
        if entry is None:  # it failed at once (its requester was told): the name is free again
            self._release_to(busy.keeper, name, None)
        else:
            self._bind(entry)
        self._done(name, 1)

    def _done(self, name: str, skip: int) -> None:
        """The create under way settled: the creates that waited behind it go
        again (they find the actor now, or ask afresh)."""
        busy = self.busy.pop(name, None)
        if busy is not None:
            for req, sender, _ in busy.queue[skip:]:
                self.host.create(req, sender)

    def placed(self, entry: Entry) -> None:
        """A named actor this system placed on another runs there now."""
        self._bind(entry)
        busy = self.busy.get(entry.globalName)  # type: ignore[arg-type]
        if busy is not None and busy.entry is entry:
            self._done(entry.globalName, 1)  # type: ignore[arg-type]

    def released(self, entry: Entry) -> None:
        """A named actor is exiting or gone (or its placement failed): its name is free."""
        name: str = entry.globalName  # type: ignore[assignment]
        busy = self.busy.get(name)
        if busy is not None and busy.entry is entry:
            self._release_to(busy.keeper, name, None)
            self._done(name, 1)
            return
        self._release_to(self.keeper(), name, entry.id)

    def _bind(self, entry: Entry) -> None:
        keeper = self.keeper()
        name: str = entry.globalName  # type: ignore[assignment]
        host = entry.remote or self.me
        if keeper == self.me:
            self.table.bind(name, entry.id, host, self.me)
        elif keeper is not None:
            self.conv.send_admin(keeper, protocol.NameBound(sysid=self.me, name=name, actor=entry.id, host=host))

    def _release_to(self, keeper: str | None, name: str, actor: Any) -> None:
        if keeper == self.me:
            self.table.release(name, actor, self.me, time.monotonic())
        elif keeper is not None:
            self.conv.send_admin(keeper, protocol.NameReleased(sysid=self.me, name=name, actor=actor))

    def _answer(self, sysid: str, name: str, actor: Any) -> None:
        if sysid == self.me:
            self._answered(self.me, name, actor)
        else:
            self.conv.send_admin(sysid, protocol.NameAnswer(sysid=self.me, name=name, actor=actor))

    # -- from other systems and the convention ------------------------------------
    def on_message(self, msg: protocol.NameMessage, sender: Any) -> None:
        if not (isinstance(msg.sysid, str) and msg.sysid == system_of(str(sender))
                and isinstance(msg.name, str)):
            _log.warning("convention: ignored a malformed %s from %s", type(msg).__name__, sender)
            return
        now = time.monotonic()
        if isinstance(msg, protocol.NameAsk):
            self.table.ask(msg.name, msg.sysid, now)
        elif isinstance(msg, protocol.NameAnswer):
            self._answered(msg.sysid, msg.name, msg.actor)
        elif isinstance(msg, protocol.NameBound):
            self.table.bind(msg.name, msg.actor, str(msg.host), msg.sysid)
        elif isinstance(msg, protocol.NameReleased):
            self.table.release(msg.name, msg.actor, msg.sysid, now)

    def claim(self, keeper: str) -> None:
        """A leader that did not know this system (it joined, the leader restarted,
        or had given it up) hears the names of the actors it has."""
        self.alone_warned = False
        for name, entry in list(self.host.registry.names.items()):
            busy = self.busy.get(name)
            if entry.state in (PENDING, LIVE, REMOTE) and not (busy is not None and busy.entry is entry):
                self.conv.send_admin(keeper, protocol.NameBound(
                    sysid=self.me, name=name, actor=entry.id, host=entry.remote or self.me))

    def system_gone(self, sysid: str) -> None:
        """A peer left: its names go; asks it never answered go to the next keeper."""
        now = time.monotonic()
        self.table.system_gone(sysid, now)
        for name, busy in list(self.busy.items()):
            if busy.keeper == sysid and not busy.granted:
                busy.keeper = self.keeper()
                self._ask(name, busy, now)

    def tick(self, now: float) -> None:
        """Creates that waited too long for their name fail, saying why."""
        self.table.expire(now)
        for name, busy in list(self.busy.items()):
            first = 1 if busy.granted else 0  # a create under way ends by its own limits
            late = [w for w in busy.queue[first:] if now > w[2]]
            if not late:
                continue
            busy.queue[first:] = [w for w in busy.queue[first:] if now <= w[2]]
            if not busy.queue:
                del self.busy[name]
            if busy.granted:
                why = f"another create of globalName {name!r} in this system did not finish"
            else:
                why = (f"the convention leader {busy.keeper} did not answer for globalName {name!r} "
                       "(unreachable, or another system's create of that name did not finish)")
            for req, _, _ in late:
                self.host.create_failed(req, CreateFailure.NAME, f"{why} within {ASK_LIMIT:.0f} s")

    def leave(self) -> None:
        """This system shuts down: creates waiting for a name fail now."""
        for name, busy in list(self.busy.items()):
            first = 1 if busy.granted else 0
            waiting, busy.queue[first:] = busy.queue[first:], []
            if not busy.queue:
                del self.busy[name]
            for req, _, _ in waiting:
                self.host.create_failed(req, CreateFailure.SHUTDOWN, "the actor system is shutting down")
