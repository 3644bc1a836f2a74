"""RayCell: the runtime's side of one actor on rayBase, and the ``_ctx`` it calls.

The delivery rules are :class:`actorcore.plugin.ActorCell`'s (dispatch, two
attempts then PoisonMessage, exit requests, ChildActorExited, wakeups,
status); this supplies the calls an actor makes (send, createActor, ...)
and the runtime part of those rules, on the host (host.py) that runs it.

A child's end reaches its parent through a call the parent keeps open on
the child, ``until_done``: it returns when the child has finished (and sent
everything it had sent before), or fails when the child's process is gone
(killed, its node lost). Either way the parent's host posts itself
ChildActorExited, once.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import os
import time
from typing import IO, TYPE_CHECKING, Any

from actorcore.actors import (
    ActorAddress,
    ChildActorExited,
    DeadEnvelope,
    InvalidActorAddress,
    InvalidActorSourceHash,
    InvalidActorSpecification,
    PoisonMessage,
    Thespian_ActorStatus,
    WakeupMessage,
)
from actorcore.plugin import (
    DONE,
    ActorCell,
    ActorContext,
    UnpicklableMessage,
    read_source,
    resolve_actor_class,
)

from . import sources
from .addressing import Ids, foreign_refusal, global_id, warn_foreign
from .classes import shippable
from .placement import place
from .spawn import HostBoot, live_global, spawn
from .wire import dumps, loads

if TYPE_CHECKING:
    from .host import ActorHost

_NOTICES = (PoisonMessage, DeadEnvelope, ChildActorExited)
_CREATE_ERRORS = (InvalidActorSpecification, InvalidActorSourceHash, ImportError)
#: seconds a host waits for its admin to note it, or a child
REGISTER_LIMIT = 30.0
_log = logging.getLogger("actorcore.ray")


def watch(handle: Any, child: str, post: Any, system: ActorAddress) -> None:
    """Post ChildActorExited for ``child`` once its host has finished or is gone."""
    def ended(_fut: Any) -> None:
        post(ChildActorExited(ActorAddress(child)), system)

    handle.until_done.remote().future().add_done_callback(ended)


class RayCell(ActorCell):
    """The runtime's view of one actor; also the ``_ctx`` its Actor calls."""

    __slots__ = ("host", "boot", "system", "parent", "capabilities", "system_caps", "timers",
                 "_seq", "_ids")

    def __init__(self, host: ActorHost, boot: HostBoot) -> None:
        super().__init__(ActorAddress(boot.me), boot.globalName, boot.sourceHash)
        self.host = host
        self.boot = boot
        self.system = ActorAddress(boot.namespace)
        self.parent = ActorAddress(boot.parent) if boot.parent else self.system
        self.capabilities = boot.capabilities  # what the actor sees: its node's, on a pinned one
        self.system_caps = boot.system_capabilities  # the system's, for its own creates
        self.timers: list[tuple[float, int, WakeupMessage]] = []
        self._seq = itertools.count()
        self._ids = Ids(boot.namespace, "/")

    # -- the calls an Actor makes ------------------------------------------------
    def send(self, targetAddr: ActorAddress, msg: Any) -> None:
        if targetAddr.__class__ is not ActorAddress and not isinstance(targetAddr, ActorAddress):
            raise InvalidActorAddress(targetAddr, "send needs an ActorAddress as target")
        try:
            data = dumps(msg)
        except UnpicklableMessage as exc:
            self._actor_log().error("%s cannot send %r: %s", self.address, msg, exc)
            self._post(PoisonMessage(msg, str(exc)), self.address)
            return
        target = targetAddr.addressDetails
        refusal = foreign_refusal(str(target), self.boot.namespace)
        if refusal is not None:
            warn_foreign(self._actor_log(), str(target))
            if not isinstance(msg, _NOTICES):  # a notice never bounces (no ping-pong of notices)
                self._post(PoisonMessage(msg, refusal), self.address)
            return
        self.sent += 1
        if target == self.boot.me:
            self.host.post(loads(data), self.address)
            return
        if "/" not in target and self.host.to_endpoint(target, data):  # not an actor: maybe an ask waits
            return
        self.host.out.send(str(target), (self.boot.me, data))

    def createActor(
        self, actorClass: Any, requirements: Any, globalName: str | None, sourceHash: str | None
    ) -> ActorAddress:
        if self._never_starts(globalName):
            return ActorAddress(self._ids.next())
        log = self._actor_log()
        ns = self.boot.namespace
        if globalName is not None and live_global(ns, global_id(ns, globalName)):
            return ActorAddress(global_id(ns, globalName))
        if sourceHash is None:
            sourceHash = self.sourceHash
        try:
            if sourceHash is not None:
                # the child's host loads the class from the source, once judged
                spec = sources.spec_in_source(actorClass)
            else:
                cls = resolve_actor_class(actorClass)
                spec = shippable(cls)
        except _CREATE_ERRORS as exc:
            log.error("createActor(%r) failed: %s", actorClass, exc)
            return self._failed_child(ActorAddress(self._ids.next()), self.system)
        node, caps = None, self.system_caps
        if sourceHash is None:
            node, caps, refusal = place(cls, caps, requirements)
            if refusal is not None:
                log.warning("createActor(%r) failed: %s", actorClass, refusal)
                return self._failed_child(ActorAddress(self._ids.next()), self.system)
        child = global_id(ns, globalName) if globalName is not None else self._ids.next()
        boot = HostBoot(ns, child, None if globalName is not None else self.boot.me, spec,
                        requirements, globalName, sourceHash, caps, self.boot.logDefs,
                        self.boot.log_env, self.system_caps)
        try:
            handle = spawn(boot, globalName is not None, node)
        except Exception as exc:
            log.error("createActor(%r) failed: Ray refused the actor: %s", actorClass, exc)
            return self._failed_child(ActorAddress(self._ids.next()), self.system)
        self.host.out.know(child, handle)
        self._listed(child, handle, globalName, spec)
        if globalName is None:
            self.children[child] = handle
            watch(handle, child, self.host.post, self.system)
        return ActorAddress(child)

    def _listed(self, child: str, handle: Any, globalName: str | None, spec: str) -> None:
        """Tell the admin of the child now, and wait for it: the system's
        status lists every actor whose create has returned (the child's own
        process may not run yet)."""
        import ray

        parent = None if globalName is not None else self.boot.me
        op = ("created", child, parent, globalName, spec, handle)
        try:
            ray.get(self.host.out.handle(self.boot.namespace).control.remote(self.boot.namespace, [op]),
                    timeout=REGISTER_LIMIT)
        except Exception as exc:
            _log.warning("%s could not list %s with its admin: %s", self.address, child, exc)

    def handleDeadLetters(self, start: bool) -> None:
        self._control_applied(("dlh", self.boot.me, start))

    def notifyOnSystemRegistrationChanges(self, start: bool) -> None:
        """The cluster's nodes joining and leaving, as convention updates (nodes.py)."""
        self._control_applied(("notify", self.boot.me, bool(start)))

    def _control_applied(self, op: tuple[Any, ...]) -> None:
        """Ask the admin for ``op`` and return once it has applied it. The
        admin's requests travel on a channel of their own, so without the
        wait what the actor sends next (a reply saying "registered") could
        reach a program before the admin knew, and the program's next dead
        letter go the old way."""
        self.host.control(op)
        if not self.host.out.flush(REGISTER_LIMIT, ["\0" + self.boot.namespace]):
            _log.warning("%s: the admin did not confirm %s within %.0f s", self.address, op[0],
                         REGISTER_LIMIT)

    def registerSourceAuthority(self) -> None:
        # waited for: once this returns, loads (from anyone) reach this authority
        self._source("authority", self.boot.me)

    def loadActorSource(self, fname: str | IO[bytes]) -> str:
        data, info = read_source(fname)
        return str(self._source("load", data, info))

    def unloadActorSource(self, sourceHash: str) -> None:
        self._source("unload", sourceHash)

    def notifyOnSourceAvailability(self, enable: bool) -> None:
        self._source("watch", self.boot.me, bool(enable))

    def _source(self, op: str, *args: Any) -> Any:
        import ray

        return ray.get(self.host.out.handle(self.boot.namespace).source.remote(op, *args),
                       timeout=REGISTER_LIMIT)

    def updateCapability(self, name: str, value: Any = None) -> None:
        self._control_applied(("cap", name, value))

    def preRegisterRemoteSystem(self, remoteAddress: Any, remoteCapabilities: Any) -> None:
        _log.info("preRegisterRemoteSystem(%r) ignored: rayBase has no conventions", remoteAddress)

    def deRegisterRemoteSystem(self, remoteAddress: Any) -> None:
        _log.info("deRegisterRemoteSystem(%r) ignored: rayBase has no conventions", remoteAddress)

    def actorSystemShutdown(self) -> None:
        self.host.control(("shutdown",))

    # -- the runtime part of the delivery rules ------------------------------------
    def _reply(self, target: ActorAddress, msg: Any) -> None:
        if target == self.address:
            self.host.post(msg, target)
        else:
            self.send(target, msg)

    def _post(self, msg: Any, sender: ActorAddress) -> None:
        self.host.post(msg, sender)

    def _finish(self) -> None:
        self.state = DONE

    def _add_wakeup(self, seconds: float, wakeup: WakeupMessage) -> None:
        heapq.heappush(self.timers, (time.monotonic() + seconds, next(self._seq), wakeup))
        self.host.nudge()

    def _status(self) -> Thespian_ActorStatus:
        return self.status_report(
            self.system, self.parent, self.host.pending(), len(self.timers),
            pid=os.getpid(), backlog=self.host.out.backlog(),
        )

    def due(self) -> list[WakeupMessage]:
        now = time.monotonic()
        out = []
        while self.timers and self.timers[0][0] <= now:
            out.append(heapq.heappop(self.timers)[2])
        return out


if TYPE_CHECKING:
    _is_a_context: type[ActorContext] = RayCell  # mypy proves every call an Actor makes is here
