"""How the admin answers a create: find the actor's class (from an import,
or from a loaded source once its authority has judged it), check that it
accepts this system's capabilities, then spawn it here, or place it on
another system; a create that cannot be met fails, saying why.

Apart from the admin's loop so that the path of one create reads top to
bottom; global names are settled before a create reaches :meth:`Creator.create_here`.
"""
from __future__ import annotations

import itertools
import logging
from typing import Any, Callable

from ..creation import resolve_actor_class
from ..errors import InvalidActorSpecification
from ..sourceregistry import SourceRegistry
from ..sysrules import capability_refusal
from . import protocol
from .convhost import AdminConvention
from .placement import Placement
from .protocol import CreateFailure
from .registry import ActorRegistry, Entry
from .routing import Router
from .supervision import Supervisor

_log = logging.getLogger("actorcore.admin")


class Creator:
    """The admin's creates, from request to spawn (or failure)."""

    def __init__(self, me: str, capabilities: dict[str, Any], transport: Any,
                 registry: ActorRegistry, router: Router, supervisor: Supervisor,
                 placement: Placement, convention: AdminConvention, sources: SourceRegistry,
                 again: Callable[[protocol.CreateActor, Any], None]) -> None:
        self.me = me
        self.capabilities = capabilities
        self.transport = transport
        self.registry = registry
        self.router = router
        self.send_msg = router.send_msg
        self.supervisor = supervisor
        self.placement = placement
        self.convention = convention
        self.sources = sources
        self.again = again  # the admin's way in for a create, after a source's verdict
        self.seq = itertools.count(1)

    def create_here(self, req: protocol.CreateActor, sender: Any) -> None:
        """A create whose global name is settled: spawn it here, or place it elsewhere."""
        if req.sourceHash is not None and self.sources.is_pending(req.sourceHash):
            self._after_verdict(req, sender, req.sourceHash)
            return
        zip_bytes = None
        if req.sourceHash is not None and req.source is not None and req.sourceHash not in self.sources.loaded:
            self.placement.install_source(req, sender)
        try:
            if req.sourceHash is not None:
                source = self.sources.loaded.get(req.sourceHash)
                if source is None:
                    self.failed(req, CreateFailure.SOURCE, f"no loaded source {req.sourceHash!r}")
                    return
                zip_bytes = self.sources.zips.get(req.sourceHash)
                cls = resolve_actor_class(source.load_class(req.spec))
            else:
                cls = resolve_actor_class(req.spec)
        except InvalidActorSpecification as exc:
            self.failed(req, CreateFailure.SPEC, str(exc))
            return
        except ImportError as exc:
            self.failed(req, CreateFailure.IMPORT, f"{type(exc).__name__}: {exc}")
            return
        except Exception as exc:
            self.failed(req, CreateFailure.SPEC, f"{type(exc).__name__}: {exc}")
            return
        refusal = capability_refusal(cls, self.capabilities, req.requirements)
        if refusal is not None:
            if self.placement.forward(req, cls):
                return
            self.failed(req, CreateFailure.CAPABILITY, refusal + self.convention.unplaced_note(req))
            return
        new_id = req.new_id if req.new_id is not None else f"{self.me}/{next(self.seq)}"
        entry = Entry(
            id=new_id,
            parent=None if req.globalName is not None else req.parent,
            spec=req.spec,
            cls=cls,
            requirements=req.requirements,
            globalName=req.globalName,
            sourceHash=req.sourceHash,
            origin=req.origin if req.origin != self.me else None,
            place_key=req.place_key,
        )
        if req.reply_to is not None:
            if self.transport.is_client(req.reply_to):
                entry.waiter = (req.req_id, req.reply_to)  # answered once it runs
            else:
                self.send_msg(req.reply_to, protocol.Created(req_id=req.req_id, actor=new_id))
        self.registry.add(entry)
        self.supervisor.spawn(entry, zip_bytes)

    def _after_verdict(self, req: protocol.CreateActor, sender: Any, digest: str) -> None:
        """A create naming a source still being validated waits for the verdict
        (docs/api.md §8.3 step 5); messages to an actor-created child are held meanwhile."""
        placeholder = None
        if req.new_id is not None:
            placeholder = Entry(
                id=req.new_id, parent=req.parent, spec=req.spec, cls=None,
                requirements=req.requirements, globalName=None, sourceHash=req.sourceHash,
            )
            self.registry.add(placeholder)

        def settled() -> None:
            held: list[Any] = []
            if placeholder is not None:
                held, placeholder.held = placeholder.held, []
                self.registry.entries.pop(placeholder.id, None)
                parent = self.registry.entries.get(placeholder.parent)
                if parent is not None and placeholder.id in parent.children:
                    parent.children.remove(placeholder.id)
            self.again(req, sender)
            entry = self.registry.entries.get(req.new_id) if req.new_id is not None else None
            if entry is not None:
                entry.held[:0] = held  # before anything sent since, in order
            else:
                self.router.bounce_held(req.parent, held)

        self.sources.when_settled(digest, settled)

    def failed(self, req: protocol.CreateActor, kind: CreateFailure, text: str) -> None:
        """Tell whoever waits for ``req`` that it failed: the system that
        forwarded it, the requester, or the parent that created the child."""
        _log.error("createActor(%s) failed: %s", req.spec, text)
        if req.origin is not None and req.origin != self.me:
            self.convention.send_admin(req.origin, protocol.RemoteChildExited(
                place_key=req.place_key, actor=req.new_id, failed=True, kind=kind, error=text))
            return
        if req.reply_to is not None:
            self.send_msg(req.reply_to, protocol.Created(
                req_id=req.req_id, actor=req.new_id, error_kind=kind, error=text))
        elif req.parent is not None and req.new_id is not None:
            gone = Entry(
                id=req.new_id, parent=req.parent, spec=req.spec, cls=None,
                requirements=None, globalName=None, sourceHash=None, failed_create=True,
            )
            self.registry.dead[req.new_id] = gone
            self.supervisor.notify_parent(gone)
