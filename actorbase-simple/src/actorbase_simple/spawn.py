"""Making the actors of a simple system: resolving the class, constructing the
actor, and children named after a source still being validated (docs/api.md §8.3).

It sees its system only through :class:`SpawnHost`.
"""
from __future__ import annotations

from typing import Any, Protocol

from actorcore.actors import Actor, ActorAddress, InvalidActorSourceHash, InvalidActorSpecification
from actorcore.plugin import (
    LIVE,
    bounce_held,
    capability_refusal,
    check_class_name,
    class_spec,
    instantiate,
    resolve_actor_class,
)

from .record import ActorRecord, Host, SimpleId, new_id

_CREATE_ERRORS = (InvalidActorSpecification, InvalidActorSourceHash, ImportError)


class SpawnHost(Host, Protocol):
    """What the spawner needs of its system, besides what records need."""

    capabilities: dict[str, Any]

    def named(self, globalName: str) -> ActorRecord | None:
        """The live actor registered under ``globalName``, if any."""

    def adopt(self, rec: ActorRecord) -> None:
        """Count the constructed ``rec`` among the system's actors."""

    def dead_letter(self, target: ActorAddress, msg: Any) -> None: ...


class Spawner:
    """Creates the actors of one system, top-level or children."""

    def __init__(self, host: SpawnHost) -> None:
        self.host = host
        #: children reserved while their source is judged: id -> (message, sender) held for them
        self.held: dict[SimpleId, list[tuple[Any, ActorAddress]]] = {}

    def resolve(self, actorClass: Any, sourceHash: str | None) -> type[Actor]:
        if sourceHash is not None:
            source = self.host.sources.loaded.get(sourceHash)
            if source is None:
                raise InvalidActorSourceHash(sourceHash)
            if isinstance(actorClass, str):
                check_class_name(actorClass)
                return resolve_actor_class(source.load_class(actorClass))
        return resolve_actor_class(actorClass)

    def construct(
        self,
        cls: type[Actor],
        parent: ActorRecord | None,
        globalName: str | None,
        requirements: Any,
        sourceHash: str | None,
        ident: SimpleId | None = None,
    ) -> tuple[ActorRecord | None, str]:
        """The new actor's record, or None and what its ``__init__`` raised."""
        ident = new_id() if ident is None else ident
        rec = ActorRecord(self.host, ident, cls, parent, globalName, requirements, sourceHash)
        try:
            actor = instantiate(cls, self.host.capabilities, requirements)
        except Exception as exc:
            rec._actor_log().error("%s failed in __init__", class_spec(cls), exc_info=True)
            return None, f"{type(exc).__name__}: {exc}"
        rec.attach(actor)
        self.host.adopt(rec)
        return rec, ""

    def create_child(
        self,
        parent: ActorRecord,
        actorClass: Any,
        requirements: Any,
        globalName: str | None,
        sourceHash: str | None,
    ) -> ActorAddress:
        """An actor's createActor: an address at once; failures reach the parent
        as ChildActorExited."""
        if parent._never_starts(globalName):
            return ActorAddress(new_id())
        if globalName is not None:
            existing = self.host.named(globalName)
            if existing is not None:
                return existing.address
        if sourceHash is None:
            sourceHash = parent.sourceHash
        if sourceHash is not None and self.host.sources.is_pending(sourceHash):
            ident = new_id()
            self.held[ident] = []
            self.host.sources.when_settled(
                sourceHash,
                lambda: self._settled(parent, ident, actorClass, requirements, globalName, sourceHash),
            )
            return ActorAddress(ident)
        log = parent._actor_log()
        try:
            cls = self.resolve(actorClass, sourceHash)
        except _CREATE_ERRORS as exc:
            log.error("createActor(%r) failed: %s", actorClass, exc)
            return self._failed(parent, ActorAddress(new_id()))
        refusal = capability_refusal(cls, self.host.capabilities, requirements)
        if refusal is not None:
            log.warning("createActor(%r) failed: %s", actorClass, refusal)
            return self._failed(parent, ActorAddress(new_id()))
        rec, _ = self.construct(
            cls, None if globalName is not None else parent, globalName, requirements, sourceHash
        )
        return rec.address if rec is not None else self._failed(parent, ActorAddress(new_id()))

    def _settled(
        self,
        parent: ActorRecord,
        ident: SimpleId,
        actorClass: Any,
        requirements: Any,
        globalName: str | None,
        sourceHash: str | None,
    ) -> None:
        """The verdict on a source came: create the child reserved as ``ident``
        and deliver what was held for it, or fail it as a failed create."""
        held = self.held.pop(ident, [])
        addr = ActorAddress(ident)
        rec = None
        if parent.state == LIVE:
            try:
                cls = self.resolve(actorClass, sourceHash)
            except _CREATE_ERRORS as exc:
                parent._actor_log().error("createActor(%r) failed: %s", actorClass, exc)
            else:
                refusal = capability_refusal(cls, self.host.capabilities, requirements)
                if refusal is None:
                    rec, _ = self.construct(
                        cls, None if globalName is not None else parent, globalName,
                        requirements, sourceHash, ident,
                    )
                else:
                    parent._actor_log().warning("createActor(%r) failed: %s", actorClass, refusal)
        queue = self.host.queue
        if rec is not None:
            queue.extend((addr, msg, sender) for msg, sender in held)
            return
        bounce_held(
            held, parent.address,
            lambda sender, poison: queue.append((sender, poison, addr)),
            lambda msg: self.host.dead_letter(addr, msg),
        )
        if parent.state == LIVE:
            self._failed(parent, addr)

    def _failed(self, parent: ActorRecord, child: ActorAddress) -> ActorAddress:
        return parent._failed_child(child, self.host.systemAddress)
