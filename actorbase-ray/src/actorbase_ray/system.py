"""RaySystem: a rayBase system as the program that made (or attached to) it sees it.

A program is a Ray driver, not a Ray actor, so nothing can call it: what is
sent to its endpoints waits at the system's admin, and ``receive`` fetches
it (``take``). What it sends leaves through the same per-target channels as
an actor's (outbound.py), so its order is kept the same way.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import Any

from actorcore.actors import (
    ActorAddress,
    ActorSystemFailure,
    ActorSystemStartupFailure,
    InvalidActorSourceHash,
    InvalidActorSpecification,
    NoCompatibleSystemForActor,
    PoisonMessage,
)
from actorcore.plugin import (
    NOTHING,
    UnpicklableMessage,
    class_spec,
    common_capabilities,
    resolve_actor_class,
)

from . import logs, sources, start
from .addressing import (
    ADMIN_NAME,
    BASE_NAME,
    Ids,
    check_namespace,
    foreign_refusal,
    global_id,
    new_namespace,
    warn_foreign,
)
from .classes import check_start_method, shippable
from .outbound import Item, Outbound
from .placement import NODE_CAPABILITIES, check_node_capabilities, pinned, place
from .spawn import HostBoot, live_global, spawn
from .wire import dumps, loads

_log = logging.getLogger("actorcore.ray")

RAY_ADDRESS = "Ray Address"
RAY_NAMESPACE = "Ray Namespace"
START_METHOD = "Process Startup Method"
#: seconds for the admin to start, and for one create to answer
START_LIMIT = 60.0
CREATE_LIMIT = 60.0
#: the longest one ``take`` waits at the admin, so a program's wait never
#: holds an admin thread past a shutdown for long
TAKE_CHUNK = 2.0
#: the longest an ask waits in the target's host for the actor's reply, which
#: then comes straight back as the call's result (host.py, ``ask``); later
#: replies come through the admin. The program's channel to that actor holds
#: what else it sends it meanwhile, so this is short.
ASK_WAIT = 0.5
#: seconds shutdown waits for the system's processes on this node to be gone
GONE_LIMIT = 15.0


class _Endpoint:
    """An external endpoint: its address, what is ready to be received (a
    message that could not be pickled came back without a trip), and the calls
    that will bring more: its ``take`` at the admin and its asks waiting in
    actors' hosts (target, call); and how many messages it took from each
    sender through the admin (host.py, ``ask``)."""

    __slots__ = ("address", "inbox", "take", "direct", "taken", "_system")

    def __init__(self, system: RaySystem, details: str) -> None:
        self._system = system
        self.address = ActorAddress(details)
        self.inbox: deque[Any] = deque()
        self.take: Any = None
        self.direct: list[tuple[str, Any]] = []
        self.taken: dict[str, int] = {}

    def close(self) -> None:
        self._system._close_endpoint(self)


class RaySystem:
    """A running rayBase system (implements actorcore's SystemBase)."""

    baseName = BASE_NAME

    def __init__(self, capabilities: Any = None, logDefs: Any = None, transientUnique: bool = False):
        caps = common_capabilities(
            capabilities, system_name="rayBase", system_version=1, watch_supported=False,
            defaults={"AllowRemoteActorSources": "No"},
        )
        check_start_method(caps.get(START_METHOD))
        try:
            check_node_capabilities(caps.get(NODE_CAPABILITIES))
            given = caps.get(RAY_NAMESPACE)
            self.namespace = check_namespace(given) if given is not None else new_namespace()
            start.acquire(caps.get(RAY_ADDRESS))
        except (ValueError, ConnectionError) as exc:
            raise ActorSystemStartupFailure(f"rayBase could not start: {exc}") from None
        import ray

        self._ray = ray
        caps[RAY_NAMESPACE] = self.namespace
        if logDefs == "BestForBase":
            logDefs = False
        # logDefs apply where actors run (logs.py); the program's own logging is its own
        self._logDefs = logDefs
        self.systemAddress = ActorAddress(self.namespace)
        self._out = Outbound()
        self._ids = Ids(self.namespace, "/")
        self._endpoint_ids = Ids(self.namespace, "+")
        self._lock = threading.Lock()
        self.is_shutdown = False
        self._node = str(ray.get_runtime_context().get_node_id())
        try:
            self._admin, self._admin_pid = self._start_admin(caps, logDefs, transientUnique or given is None)
        except BaseException:
            start.release()
            raise
        self._caps = caps

    def _start_admin(self, caps: dict[str, Any], logDefs: Any, fresh: bool) -> tuple[Any, int]:
        """The system's admin: an existing one of the namespace (attach) unless
        ``fresh``, else a new one."""
        ray = self._ray
        if not fresh:
            try:
                admin = ray.get_actor(ADMIN_NAME, namespace=self.namespace)
                return admin, int(ray.get(admin.ready.remote(), timeout=START_LIMIT)[0])
            except ValueError:
                pass  # none running: start it
        from .admin import ADMIN_THREADS, TAKE_THREADS, SystemAdmin

        remote = ray.remote(concurrency_groups={"take": TAKE_THREADS})
        admin = remote(SystemAdmin).options(
            name=ADMIN_NAME, namespace=self.namespace, lifetime="detached", num_cpus=0,
            max_restarts=0, max_task_retries=0, max_concurrency=ADMIN_THREADS,
            # on the node of the program that starts the system: the system
            # lives as long as that node, whichever other nodes come and go
            **pinned(self._node),
        ).remote(self.namespace, caps, logDefs, logs.internal_log_env())
        try:
            pid, log_error = ray.get(admin.ready.remote(), timeout=START_LIMIT)
        except Exception as exc:
            self._end_admin(admin, None)
            raise ActorSystemStartupFailure(f"rayBase admin did not start: {exc}") from None
        if log_error is not None:
            self._end_admin(admin, pid)
            raise ValueError(log_error)
        return admin, int(pid)

    def _end_admin(self, admin: Any, pid: int | None) -> None:
        try:
            self._ray.kill(admin, no_restart=True)
        except Exception:
            pass
        deadline = time.monotonic() + GONE_LIMIT
        while pid is not None and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)

    # -- helpers ----------------------------------------------------------------------
    def _gone(self, why: object) -> ActorSystemFailure:
        return ActorSystemFailure(
            f"the admin process of rayBase system {self.namespace} is gone ({why}); call "
            "shutdown() on this ActorSystem to release it, then start a new one")

    def _check(self) -> None:
        if self.is_shutdown:
            raise ActorSystemFailure("this ActorSystem has been shut down")
        if self.namespace in self._out.lost_admins:
            raise self._gone("a call to it failed")
        if not self._ray.is_initialized():
            raise ActorSystemFailure(
                "Ray was shut down under this rayBase system; call shutdown() and start a new one")

    def _call(self, method: Any, *args: Any, limit: float = START_LIMIT) -> Any:
        """One call to the admin, waited for; its failure says the system is gone."""
        self._check()
        try:
            return self._ray.get(method.remote(*args), timeout=limit)
        except ActorSystemFailure:
            raise
        except self._ray.exceptions.GetTimeoutError:
            from actorcore.actors import ActorSystemRequestTimeout

            raise ActorSystemRequestTimeout(f"the rayBase admin did not answer within {limit:g} s") from None
        except Exception as exc:
            raise self._gone(str(exc).splitlines()[0]) from None

    @property
    def capabilities(self) -> dict[str, Any]:
        if self.is_shutdown or not self._ray.is_initialized():
            return self._caps
        try:
            self._caps = self._ray.get(self._admin.capabilities.remote(), timeout=START_LIMIT)
        except Exception:
            pass
        return self._caps

    # -- SystemBase protocol ------------------------------------------------------------
    def open_endpoint(self) -> _Endpoint:
        ep = _Endpoint(self, self._endpoint_ids.next())
        self._call(self._admin.open, ep.address.addressDetails)
        return ep

    def _close_endpoint(self, ep: _Endpoint) -> None:
        if not self.is_shutdown and self._ray.is_initialized():
            self._admin.close.remote(ep.address.addressDetails)

    def tell(self, endpoint: _Endpoint, target: ActorAddress, msg: Any) -> None:
        item = self._item(endpoint, target, msg)
        if item is not None:
            self._out.send(*item)

    def ask(self, endpoint: _Endpoint, target: ActorAddress, msg: Any, seconds: float | None) -> Any:
        """``tell`` then ``receive``; an actor's reply comes back as the result
        of the call that took the request, when it can (host.py, ``ask``)."""
        item = self._item(endpoint, target, msg)
        if item is not None:
            details, sent = item
            ref = None
            if "/" in details and not endpoint.direct and not endpoint.inbox:
                wait = ASK_WAIT if seconds is None else min(ASK_WAIT, seconds)
                ref = self._out.ask(details, sent, sent[0], wait, endpoint.taken.get(details, 0))
            if ref is None:
                self._out.send(details, sent)
            elif ref is not False:
                endpoint.direct.append((details, ref))
        return self.receive(endpoint, seconds)

    def _item(self, endpoint: _Endpoint, target: ActorAddress, msg: Any) -> tuple[str, Item] | None:
        """Where ``msg`` goes and what goes there; None when it cannot go (its
        PoisonMessage is then in the endpoint's inbox)."""
        self._check()
        try:
            data = dumps(msg)
        except UnpicklableMessage as exc:
            endpoint.inbox.append(PoisonMessage(msg, str(exc)))
            return None
        details = str(target.addressDetails)
        refusal = foreign_refusal(details, self.namespace)
        if refusal is not None:
            warn_foreign(_log, details)
            endpoint.inbox.append(PoisonMessage(msg, refusal))
            return None
        return details, (endpoint.address.addressDetails, data)

    def receive(self, endpoint: _Endpoint, timeout: float | None) -> Any:
        if endpoint.inbox:
            return endpoint.inbox.popleft()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._next(endpoint, deadline)
            if endpoint.inbox:
                return endpoint.inbox.popleft()
            if deadline is not None and time.monotonic() >= deadline:
                return NOTHING

    def _next(self, endpoint: _Endpoint, deadline: float | None) -> None:
        """Wait (until ``deadline`` at most) for the first of the endpoint's
        calls to return, and put what it brought in the endpoint's inbox."""
        self._check()
        ray = self._ray
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if endpoint.take is None:
            # no longer than this wait: a take left open holds a thread of the admin
            chunk = TAKE_CHUNK if left is None else min(TAKE_CHUNK, left)
            endpoint.take = self._admin.take.remote(endpoint.address.addressDetails, chunk)
        refs = [ref for _target, ref in endpoint.direct]
        refs.append(endpoint.take)
        ready, _ = ray.wait(refs, num_returns=1, timeout=left)
        if not ready:
            return
        if ready[0] is endpoint.take or ready[0] == endpoint.take:
            got = self._get(endpoint.take)
            endpoint.take = None
            if got is None:
                return
            if got is False:
                raise ActorSystemFailure("this rayBase system has been shut down")
            sender, data = got
            endpoint.taken[sender] = endpoint.taken.get(sender, 0) + 1
            # what the sender handed an ask waiting in its host went before this
            for i, (target, ref) in enumerate(endpoint.direct):
                if target == sender:
                    del endpoint.direct[i]
                    self._arrived(endpoint, self._direct(target, ref))
                    break
            self._arrived(endpoint, data)
            return
        for i, (target, ref) in enumerate(endpoint.direct):
            if ref == ready[0]:
                del endpoint.direct[i]
                self._arrived(endpoint, self._direct(target, ref))
                return

    def _get(self, ref: Any) -> Any:
        try:
            return self._ray.get(ref, timeout=START_LIMIT)
        except ActorSystemFailure:
            raise
        except Exception as exc:
            raise self._gone(str(exc).splitlines()[0]) from None

    def _direct(self, target: str, ref: Any) -> bytes | None:
        """The reply an ask brought straight back, if any. A call that failed
        (its host is gone) brought none: the request is a dead letter, which
        the channel sees to (outbound.py)."""
        try:
            got = self._ray.get(ref, timeout=START_LIMIT)
        except Exception:
            return None
        if got is False:
            return None
        self._out.settle(target, ref)
        return got or None

    @staticmethod
    def _arrived(endpoint: _Endpoint, data: bytes | None) -> None:
        if data is None:
            return
        try:
            endpoint.inbox.append(loads(data))
        except Exception as exc:
            endpoint.inbox.append(PoisonMessage(None, f"reply could not be unpickled: {exc}"))

    def createActor(
        self,
        endpoint: _Endpoint,
        actorClass: Any,
        requirements: Any,
        globalName: str | None,
        sourceHash: str | None,
    ) -> ActorAddress:
        self._check()
        if globalName is not None:  # the name is looked up before the class is
            me = global_id(self.namespace, globalName)
            if live_global(self.namespace, me):
                return ActorAddress(me)
        if sourceHash is not None:
            cls = self._guarded(lambda: sources.load_class(self._admin, actorClass, sourceHash))
            spec = sources.spec_in_source(actorClass)
        else:
            cls = resolve_actor_class(actorClass)
            spec = shippable(cls)
        caps = system_caps = self._call(self._admin.capabilities)
        node, caps, refusal = place(cls, caps, requirements)
        if refusal is not None:
            raise NoCompatibleSystemForActor(cls, refusal)
        me = global_id(self.namespace, globalName) if globalName is not None else self._ids.next()
        boot = HostBoot(self.namespace, me, None, spec, requirements, globalName, sourceHash,
                        caps, self._logDefs, logs.internal_log_env(), system_caps)
        try:
            handle = spawn(boot, globalName is not None, node)
            failure, _pid = self._ray.get(handle.ready.remote(), timeout=CREATE_LIMIT)
        except Exception as exc:
            raise ActorSystemFailure(f"{class_spec(cls)} could not be created: {exc}") from None
        if failure is not None:
            raise ActorSystemFailure(f"{class_spec(cls)} could not be created: {failure}")
        self._out.know(me, handle)
        return ActorAddress(me)

    def updateCapability(self, endpoint: _Endpoint, name: str, value: Any) -> None:
        error = self._call(self._admin.update_capability, name, value)
        if error is not None:
            raise error

    def loadActorSource(self, endpoint: _Endpoint, data: bytes, info: str | None) -> str:
        return str(self._call(self._admin.source, "load", data, info))

    def unloadActorSource(self, endpoint: _Endpoint, sourceHash: str) -> None:
        self._call(self._admin.source, "unload", sourceHash)

    def _guarded(self, what: Any) -> Any:
        """``what()``, which calls the admin: its failure says the system is gone."""
        self._check()
        try:
            return what()
        except (InvalidActorSourceHash, InvalidActorSpecification, ImportError):
            raise
        except Exception as exc:
            raise self._gone(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None

    def shutdown(self) -> None:
        """End every actor of the system and its admin, wait until their processes
        on this node are gone, then leave Ray (ending it if this process started it)."""
        with self._lock:
            if self.is_shutdown:
                return
            self.is_shutdown = True
        ray = self._ray
        try:
            if ray.is_initialized():
                self._end_system()
        finally:
            self._out.close()
            start.release()

    def _end_system(self) -> None:
        ray = self._ray
        try:
            ended = ray.get(self._admin.shutdown.remote(), timeout=START_LIMIT)
        except Exception:
            ended = []
        try:
            ray.kill(self._admin, no_restart=True)
        except Exception:
            pass
        pids = [pid for pid, node, _name in ended if node == self._node] + [self._admin_pid]
        deadline = time.monotonic() + GONE_LIMIT
        again = deadline - GONE_LIMIT / 2
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            if again and time.monotonic() > again:
                again = 0.0
                self._end_by_name([name for pid, node, name in ended
                                   if node == self._node and _alive(pid)])
            time.sleep(0.02)

    def _end_by_name(self, names: list[str]) -> None:
        """Hosts still running well after the admin ended them (a kill it sent
        just before it was itself ended may be lost): end them from here."""
        ray = self._ray
        for name in names:
            try:
                ray.kill(ray.get_actor(name, namespace=self.namespace), no_restart=True)
            except Exception:
                pass


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has ended: its parent, Ray's raylet, reaps it)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not os.path.exists("/proc")
    return stat[stat.rfind(b")") + 2:][:1] != b"Z"
