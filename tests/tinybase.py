"""A tiny third-party system base, written only against actorcore's public
plugin surface (base protocol, hookimpl, creation and capability helpers).

Single-threaded and synchronous: ``tell``/``receive`` run the queue until empty.
It supports top-level and child actors, send, global names, the retry/poison
rule and exit requests; enough to prove a plugin from outside the core works.
"""
from __future__ import annotations

import itertools
import traceback
from collections import deque
from typing import Any

from actorcore.actors import (
    ActorAddress,
    ActorExitRequest,
    ActorSystemFailure,
    ChildActorExited,
    InvalidActorAddress,
    NoCompatibleSystemForActor,
    PoisonMessage,
)
from actorcore.base import NOTHING
from actorcore.capabilities import READ_ONLY, actor_accepts, common_capabilities
from actorcore.creation import instantiate, resolve_actor_class
from actorcore.hookspecs import hookimpl

NAME = "tinyBase"
_ids = itertools.count(1)


def _addr() -> ActorAddress:
    return ActorAddress(("tiny", next(_ids)))


class _Endpoint:
    def __init__(self, system: TinySystem) -> None:
        self.address = _addr()
        self.inbox: deque[Any] = deque()
        self._system = system

    def close(self) -> None:
        self._system._endpoints.pop(self.address.addressDetails, None)


class _Ctx:
    def __init__(self, system: TinySystem, address: ActorAddress, parent: Any, name: str | None):
        self.system, self.address, self.parent, self.globalName = system, address, parent, name
        self.children: list[ActorAddress] = []
        self.exiting = False

    def send(self, target: Any, msg: Any) -> None:
        if not isinstance(target, ActorAddress):
            raise InvalidActorAddress(target, "not an ActorAddress")
        self.system._queue.append((target, msg, self.address))

    def createActor(self, cls: Any, reqs: Any, name: Any, sourceHash: Any) -> ActorAddress:
        addr = self.system._create(cls, reqs, name, parent=None if name else self)
        if name is None:
            self.children.append(addr)
        return addr


class TinySystem:
    baseName = NAME

    def __init__(self, capabilities: Any = None, logDefs: Any = None, transientUnique: bool = False):
        self.capabilities = common_capabilities(
            capabilities, system_name=NAME, system_version=1, watch_supported=False)
        self.systemAddress = _addr()
        self._actors: dict[Any, Any] = {}
        self._endpoints: dict[Any, _Endpoint] = {}
        self._names: dict[str, ActorAddress] = {}
        self._queue: deque[tuple[ActorAddress, Any, ActorAddress]] = deque()
        self._down = False

    @property
    def is_shutdown(self) -> bool:
        return self._down

    def open_endpoint(self) -> _Endpoint:
        ep = _Endpoint(self)
        self._endpoints[ep.address.addressDetails] = ep
        return ep

    def _create(self, cls: Any, reqs: Any, name: Any, parent: Any) -> ActorAddress:
        if name is not None and name in self._names:
            return self._names[name]
        cls = resolve_actor_class(cls)
        if not actor_accepts(cls, self.capabilities, reqs):
            raise NoCompatibleSystemForActor(cls, f"{cls.__name__} rejects {NAME}")
        actor = instantiate(cls, self.capabilities, reqs)
        addr = _addr()
        actor._ctx = _Ctx(self, addr, parent, name)
        self._actors[addr.addressDetails] = actor
        if name is not None:
            self._names[name] = addr
        return addr

    def createActor(self, endpoint: Any, cls: Any, reqs: Any, name: Any, sourceHash: Any):
        if sourceHash is not None:
            raise ActorSystemFailure("tinyBase does not load sources")
        try:
            return self._create(cls, reqs, name, parent=None)
        except (NoCompatibleSystemForActor, ImportError):
            raise
        except Exception as exc:
            if type(exc).__name__ == "InvalidActorSpecification":
                raise
            raise ActorSystemFailure(f"creating {cls!r} failed: {exc!r}") from exc

    def tell(self, endpoint: Any, target: ActorAddress, msg: Any) -> None:
        self._queue.append((target, msg, endpoint.address))
        self._run()

    def receive(self, endpoint: Any, timeout: Any) -> Any:
        self._run()
        return endpoint.inbox.popleft() if endpoint.inbox else NOTHING

    def _run(self) -> None:
        while self._queue:
            target, msg, sender = self._queue.popleft()
            key = target.addressDetails
            if key in self._endpoints:
                self._endpoints[key].inbox.append(msg)
            elif key in self._actors:
                self._deliver(self._actors[key], msg, sender)

    def _deliver(self, actor: Any, msg: Any, sender: ActorAddress) -> None:
        ctx = actor._ctx
        if isinstance(msg, ChildActorExited) and msg.childAddress in ctx.children:
            ctx.children = [c for c in ctx.children if c != msg.childAddress]
        if ctx.exiting:
            if isinstance(msg, ChildActorExited):
                self._call_once(actor, msg, sender)
                if not ctx.children:
                    self._finish(actor)
            return
        if isinstance(msg, ActorExitRequest):
            self._call_once(actor, msg, sender)
            ctx.exiting = True
            if msg.isRecursive and ctx.children:
                for child in ctx.children:
                    self._queue.append((child, ActorExitRequest(), ctx.address))
            else:
                self._finish(actor)
            return
        for _attempt in (1, 2):
            try:
                actor.receiveMessage(msg, sender)
                return
            except Exception:
                details = traceback.format_exc()
        if not isinstance(msg, PoisonMessage):
            self._queue.append((sender, PoisonMessage(msg, details), ctx.address))

    @staticmethod
    def _call_once(actor: Any, msg: Any, sender: ActorAddress) -> None:
        try:
            actor.receiveMessage(msg, sender)
        except Exception:
            pass

    def _finish(self, actor: Any) -> None:
        ctx = actor._ctx
        self._actors.pop(ctx.address.addressDetails, None)
        if ctx.globalName:
            self._names.pop(ctx.globalName, None)
        if ctx.parent is not None:
            self._queue.append((ctx.parent.address, ChildActorExited(ctx.address), ctx.address))

    def updateCapability(self, endpoint: Any, name: str, value: Any) -> None:
        if name in READ_ONLY:
            raise ActorSystemFailure(f"{name} is read-only")
        if value is None:
            self.capabilities.pop(name, None)
        else:
            self.capabilities[name] = value

    def loadActorSource(self, endpoint: Any, data: bytes, info: Any) -> str:
        raise ActorSystemFailure("tinyBase does not load sources")

    def unloadActorSource(self, endpoint: Any, sourceHash: str) -> None:
        pass

    def shutdown(self) -> None:
        if self._down:
            return
        for actor in list(self._actors.values()):
            if actor._ctx.parent is None:
                self._queue.append((actor._ctx.address, ActorExitRequest(), self.systemAddress))
        self._run()
        self._down = True
        self._actors.clear()


class TinyPlugin:
    """The hookimpl object a third party would name in its entry point."""

    @hookimpl
    def actorcore_register_system_bases(self, register: Any) -> None:
        register.add(NAME, TinySystem, summary="tiny third-party test base (single thread)")
