"""A tiny third-party system base, written only against actorcore's public
plugin surface (base protocol, hookimpl, creation and capability helpers, and
the delivery rules of ``actorcore._core.delivery``).

Single-threaded and synchronous: ``tell``/``receive`` run the queue until empty
(the core's ``drain``), stepping the loop async handlers run on (the core's
``async_driver``) in turn. It supports top-level and child actors, send, global
names, exit requests and capability changes; what a message does once it
reaches an actor (retry and poison, exit, children, status) is the core's
ActorCell, as on every base. Enough to prove a plugin from outside the core works.
"""
from __future__ import annotations

import itertools
import time
from collections import deque
from typing import Any

from actorcore.actors import (
    ActorAddress,
    ActorExitRequest,
    ActorSystemFailure,
    ChildActorExited,
    InvalidActorAddress,
    NoCompatibleSystemForActor,
)
from actorcore.plugin import (
    DONE,
    LIVE,
    NOTHING,
    ActorCell,
    async_driver,
    capability_refusal,
    common_capabilities,
    drain,
    hookimpl,
    instantiate,
    resolve_actor_class,
    update_capability,
)

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


class _Ctx(ActorCell):
    def __init__(self, system: TinySystem, address: ActorAddress, parent: Any, name: Any, reqs: Any):
        super().__init__(address, name, None)
        self.system, self.parent, self.requirements = system, parent, reqs

    def send(self, target: Any, msg: Any) -> None:
        if not isinstance(target, ActorAddress):
            raise InvalidActorAddress(target, "not an ActorAddress")
        self.system._queue.append((target, msg, self.address))

    def createActor(self, cls: Any, reqs: Any, name: Any, sourceHash: Any) -> ActorAddress:
        if self._never_starts(name):
            return _addr()
        addr = self.system._create(cls, reqs, name, parent=None if name else self)
        if name is None:
            self.children[addr.addressDetails] = None
        return addr

    # what the core's delivery rules need of a base
    def _reply(self, target: ActorAddress, msg: Any) -> None:
        self.system._queue.append((target, msg, self.address))

    def _post(self, msg: Any, sender: ActorAddress) -> None:
        self.system._queue.append((self.address, msg, sender))

    def _finish(self) -> None:
        self.system._finish(self)

    def _status(self) -> Any:
        top = self.system.systemAddress
        return self.status_report(top, self.parent.address if self.parent else top, 0, 0)


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
        refusal = capability_refusal(cls, self.capabilities, reqs)
        if refusal is not None:
            raise NoCompatibleSystemForActor(cls, refusal)
        actor = instantiate(cls, self.capabilities, reqs)
        addr = _addr()
        ctx = _Ctx(self, addr, parent, name, reqs)
        ctx.attach(actor)
        self._actors[addr.addressDetails] = ctx
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
        inbox = endpoint.inbox
        deadline = None if timeout is None else time.monotonic() + timeout
        self._run()
        aio = async_driver()
        # async handlers suspended on timers or I/O may yet answer: wait on
        # their loop (nothing else here can make a message appear)
        while not inbox and aio.tasks:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            due = aio.step()
            wait = due if left is None else (left if due is None else min(due, left))
            if aio.wait(wait):
                aio.step(io=True)
            self._run()
        return inbox.popleft() if inbox else NOTHING

    def _run(self) -> None:
        """Deliver until idle; async handlers' loop is stepped in turn, since
        what they do once resumed (sends, replies to their asks) is more to deliver."""
        aio = async_driver()
        while True:
            drain(self._queue, self._actors, self._elsewhere)
            if aio.loop is None:
                return
            aio.step()
            if not self._queue:
                return

    def _elsewhere(self, target: ActorAddress, msg: Any, sender: ActorAddress) -> None:
        ep = self._endpoints.get(target.addressDetails)
        if ep is not None:
            ep.inbox.append(msg)

    def _finish(self, ctx: _Ctx) -> None:
        ctx.state = DONE
        self._actors.pop(ctx.address.addressDetails, None)
        if ctx.globalName:
            self._names.pop(ctx.globalName, None)
        if ctx.parent is not None:
            self._queue.append((ctx.parent.address, ChildActorExited(ctx.address), ctx.address))

    def updateCapability(self, endpoint: Any, name: str, value: Any) -> None:
        live = [c for c in self._actors.values() if c.state == LIVE]
        for ctx in update_capability(self.capabilities, name, value, live) or ():
            self._queue.append((ctx.address, ActorExitRequest(), self.systemAddress))
        self._run()

    def loadActorSource(self, endpoint: Any, data: bytes, info: Any) -> str:
        raise ActorSystemFailure("tinyBase does not load sources")

    def unloadActorSource(self, endpoint: Any, sourceHash: str) -> None:
        pass

    def shutdown(self) -> None:
        if self._down:
            return
        for ctx in list(self._actors.values()):
            if ctx.parent is None:
                self._queue.append((ctx.address, ActorExitRequest(), self.systemAddress))
        self._run()
        self._down = True
        self._actors.clear()


class TinyPlugin:
    """The hookimpl object a third party would name in its entry point."""

    @hookimpl
    def actorcore_register_system_bases(self, register: Any) -> None:
        register.add(NAME, TinySystem, summary="tiny third-party test base (single thread)")
