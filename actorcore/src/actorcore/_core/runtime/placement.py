"""Creates placed across the systems of a convention: a create this system
cannot host goes to a peer whose capabilities fit; the origin keeps a
placeholder that holds messages until the host says ``Placed``, and hears
``RemoteChildExited`` when the actor ends, never starts, or its host leaves.

Apart from creating and supervising so that what one admin owes another
reads in one place. Which peer gets a create is the convention's choice
(:meth:`.conventions.Convention.place`); this keeps the books.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import attrs

from ..sourceregistry import SourceRegistry
from ..transport import system_of
from . import limits, protocol
from .convhost import AdminConvention
from .protocol import CreateFailure
from .registry import PENDING, REMOTE, ActorRegistry, Entry
from .routing import Router
from .supervision import Supervisor

_log = logging.getLogger("actorcore.admin")


class Placement:
    """Creates this admin forwarded, and those it passed on for another system."""

    def __init__(self, me: str, registry: ActorRegistry, router: Router, supervisor: Supervisor,
                 convention: AdminConvention, sources: SourceRegistry) -> None:
        self.me = me
        self.registry = registry
        self.router = router
        self.supervisor = supervisor
        self.convention = convention
        self.sources = sources
        self.placements: dict[str, tuple[protocol.CreateActor, Entry | None, str]] = {}
        # creates we passed on for another system: key -> (origin, target, its id, forget after)
        self.relayed: dict[str, tuple[str, str, Any, float]] = {}

    def forward(self, req: protocol.CreateActor, cls: Any) -> bool:
        """Place a create this system rejects on another system of the convention."""
        choice = self.convention.place(req, cls)
        if choice is None:
            return False
        target, forwarded = choice
        if req.sourceHash is not None and forwarded.source is None:
            forwarded.source = self.sources.zip_for(req.sourceHash)  # docs/api.md §8.5: it travels along
        entry = None
        if req.origin is None:  # we are the origin: remember who waits, and hold its messages
            if req.new_id is not None or req.globalName is not None:
                entry = Entry(
                    id=req.new_id if req.new_id is not None else forwarded.place_key,
                    parent=None if req.globalName is not None else req.parent,
                    spec=req.spec, cls=cls, requirements=req.requirements,
                    globalName=req.globalName, sourceHash=req.sourceHash,
                    remote=target, place_key=forwarded.place_key,
                )
                self.registry.add(entry)
            self.placements[forwarded.place_key] = (req, entry, target)  # type: ignore[index]
        elif forwarded.place_key is not None:  # the origin hears from the host, or from us if it goes
            self.relayed[forwarded.place_key] = (
                req.origin, target, req.new_id, time.monotonic() + limits.CREATE_LIMIT)
        _log.info("createActor(%s) does not fit here; forwarded to %s", req.spec, target)
        if not self.convention.send_admin(target, forwarded):
            self.placements.pop(forwarded.place_key, None)  # type: ignore[arg-type]
            if entry is not None:
                self.registry.bury(entry)
            return False
        return True

    def install_source(self, req: protocol.CreateActor, sender: Any) -> None:
        """A forwarded create brought its source: install it without asking our
        authority, if AllowRemoteActorSources lets the forwarding system (§8.6)."""
        if req.sourceHash is None:
            return
        try:
            zip_bytes, info = req.source
            self.sources.install_remote(
                req.sourceHash, zip_bytes, info,
                origin_is_leader=self.convention.is_leader(system_of(str(sender))))
        except Exception as exc:
            _log.warning("source %s from %s not installed: %s", req.sourceHash, sender, exc)

    def expire(self, now: float) -> None:
        for key, relay in list(self.relayed.items()):
            if now > relay[3]:  # answered long ago, or its origin gave up
                del self.relayed[key]

    def on_placed(self, msg: protocol.Placed, sender: Any) -> None:
        """A system we forwarded a create to runs the actor now."""
        found = self.placements.pop(msg.place_key, None)
        if found is None:
            return
        req, entry, _ = found
        if entry is not None:
            if entry.id != msg.actor:  # named top-level create: the host chose the id
                self.registry.rekey(entry, msg.actor)
            entry.state = REMOTE
            entry.remote = msg.where
            if entry.globalName is not None:
                self.convention.names.placed(entry)
            held, entry.held = entry.held, []
            for env in held:
                self.router.to_system(msg.where, env)
        if req.reply_to is not None:
            self.router.send_msg(req.reply_to, protocol.Created(req_id=req.req_id, actor=msg.actor))

    def on_remote_child_exited(self, msg: protocol.RemoteChildExited, sender: Any) -> None:
        """An actor another system hosts for us ended (or never started)."""
        found = self.placements.pop(msg.place_key, None) if msg.place_key else None
        entry = self.registry.entries.get(msg.actor)
        if msg.kind == CreateFailure.GONE:
            if found is None:  # it had started: it went with its host
                msg = attrs.evolve(msg, failed=False)
            else:  # the only system that could host it went away first
                msg = attrs.evolve(msg, kind=CreateFailure.CAPABILITY)
        if found is not None:
            req, pending, _ = found
            entry = pending
            if msg.failed and entry is None and req.reply_to is not None:
                self.router.send_msg(req.reply_to, protocol.Created(
                    req_id=req.req_id, actor=None, error_kind=msg.kind, error=msg.error))
                return
            if msg.failed and entry is not None and req.reply_to is not None:
                entry.waiter = (req.req_id, req.reply_to)
        if entry is None or entry.state not in (PENDING, REMOTE):
            return
        if msg.failed:
            self.supervisor.init_failed(entry, msg.kind or CreateFailure.INIT, msg.error)
        else:
            entry.clean_exit = True
            self.supervisor.notify_parent(entry)
        self.registry.bury(entry)

    def system_gone(self, sysid: str) -> None:
        """A convention peer is gone: actors it hosted for us are reported exited,
        creates sent there that it never answered fail (as no compatible system),
        and the systems we passed creates on for hear the same."""
        why = f"the system {sysid} that could host it left the convention"
        for key, (req, _entry, target) in list(self.placements.items()):
            if target == sysid:
                self.on_remote_child_exited(protocol.RemoteChildExited(
                    place_key=key, actor=req.new_id, failed=True, kind=CreateFailure.GONE, error=why),
                    sysid)
        for key, (origin, target, new_id, _until) in list(self.relayed.items()):
            if target == sysid:
                del self.relayed[key]
                self.convention.send_admin(origin, protocol.RemoteChildExited(
                    place_key=key, actor=new_id, failed=True, kind=CreateFailure.GONE, error=why))
        for entry in [e for e in self.registry.entries.values() if e.state == REMOTE and e.remote == sysid]:
            _log.warning("actor %s (%s) was on %s, which is gone", entry.id, entry.spec, sysid)
            self.supervisor.notify_parent(entry)
            self.registry.bury(entry)
