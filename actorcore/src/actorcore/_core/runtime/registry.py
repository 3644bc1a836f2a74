"""The admin's registry of actors: who exists, who is whose parent, what is pending."""
from __future__ import annotations

import enum
from collections import OrderedDict
from typing import Any, Callable

import attrs

from ..addresses import ActorAddress
from .protocol import CreateFailure


class State(enum.Enum):
    """Where an actor the admin knows of is in its life."""

    #: created, not yet started (or not yet placed on another system): messages are held
    PENDING = "pending"
    LIVE = "live"
    #: it said it exits, or failed to start; its process is on its way out
    EXITING = "exiting"
    DEAD = "dead"
    #: runs on another system of the convention; the admin forwards to it
    REMOTE = "remote"


# the names the admin's modules compare with
PENDING, LIVE, EXITING, DEAD, REMOTE = (
    State.PENDING, State.LIVE, State.EXITING, State.DEAD, State.REMOTE)
_KEEP_DEAD = 10000  # recently dead actors, to answer late messages precisely


@attrs.define(eq=False)
class Entry:
    """One actor as the admin knows it."""

    id: Any
    parent: Any  # the parent actor's details, or None: the system
    spec: str
    cls: Any
    requirements: Any
    globalName: str | None
    sourceHash: str | None
    state: State = PENDING
    process: Any = None
    pid: int | None = None
    held: list[Any] = attrs.Factory(list)
    waiter: tuple[int, Any] | None = None
    children: list[Any] = attrs.Factory(list)
    clean_exit: bool = False
    notified: bool = False
    failed_create: bool = False
    awaiting_ack: bool = False
    remote: str | None = None  # REMOTE: the system hosting it
    origin: str | None = None  # placed here by another system, which hears of its end
    place_key: str | None = None
    error: tuple[CreateFailure | None, str] = (None, "")  # why it failed to start


class ActorRegistry:
    """Entries by id, global names, and a memory of the recently dead."""

    def __init__(self) -> None:
        self.entries: dict[Any, Entry] = {}
        self.names: dict[str, Entry] = {}
        self.dead: OrderedDict[Any, Entry] = OrderedDict()
        self.unnamed: Callable[[Entry], None] | None = None  # told when a name's actor is buried

    def add(self, entry: Entry) -> None:
        self.entries[entry.id] = entry
        if entry.globalName is not None:
            self.names[entry.globalName] = entry
        if entry.parent is not None:
            parent = self.entries.get(entry.parent)
            if parent is not None:
                parent.children.append(entry.id)

    def named(self, name: str) -> Entry | None:
        entry = self.names.get(name)
        return entry if entry is not None and entry.state in (PENDING, LIVE, REMOTE) else None

    def bury(self, entry: Entry) -> None:
        entry.state = DEAD
        self.entries.pop(entry.id, None)
        if entry.globalName is not None and self.names.get(entry.globalName) is entry:
            del self.names[entry.globalName]
            if self.unnamed is not None:
                self.unnamed(entry)
        parent = self.entries.get(entry.parent) if entry.parent is not None else None
        if parent is not None and entry.id in parent.children:
            parent.children.remove(entry.id)
        entry.held.clear()
        self.dead[entry.id] = entry
        while len(self.dead) > _KEEP_DEAD:
            self.dead.popitem(last=False)

    def rekey(self, entry: Entry, new_id: Any) -> None:
        """Give an entry the id another system chose for it (a named create placed
        there): its name and the messages held for it stay with it."""
        self.entries.pop(entry.id, None)
        entry.id = new_id
        self.entries[new_id] = entry

    def live(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.state in (PENDING, LIVE)]

    def table(self) -> list[dict[str, Any]]:
        """Every actor not yet buried, as ``Thespian_SystemStatus.actorTable`` rows."""
        return [
            {
                "address": ActorAddress(e.id),
                "parent": None if e.parent is None else ActorAddress(e.parent),
                "actorClass": e.spec,
                "globalName": e.globalName,
                "pid": e.pid,
                "state": e.state.value,
                "system": None if e.remote is None else ActorAddress(e.remote),
            }
            for e in self.entries.values()
        ]
