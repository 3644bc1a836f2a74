"""SystemAdmin: the one Ray actor per system that is not an actor of the user's.

It holds what has to be in one place: which actors run (each host reports
itself, and the admin keeps a call open on it to see it end, then ends its
process), the global names (Ray's unique names make them; the admin only
lists them), the dead letter handler, the capabilities, the inboxes of the
programs' endpoints (a program is not a Ray actor, so nothing can call it:
it fetches what arrived with ``take``), the system address's answers, and
shutdown. Programs find it by name (``admin`` in the system's namespace),
which is how a second program attaches.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import ray

from actorcore.actors import (
    ActorAddress,
    ActorExitRequest,
    ActorSystemFailure,
    Thespian_SystemStatus,
)
from actorcore.plugin import (
    SourceRegistry,
    dead_letter,
    internal_log,
    next_dead_letter_handler,
    system_requests,
    update_capability,
)

from . import logs
from .addressing import BASE_NAME
from .doubts import Doubts
from .nodes import NodeWatch, is_node_of
from .outbound import Outbound
from .placement import NODE_CAPABILITIES, check_node_capabilities, node_id
from .wire import dumps, loads, unpack

#: threads of the admin for Ray calls other than ``take``
ADMIN_THREADS = 64
#: threads of the admin for programs' ``take``, each of which holds one while it
#: waits (at most ``TAKE_CHUNK`` s, and a program keeps one open while it asks):
#: a group of their own, so that waiting takes never hold up deliveries
TAKE_THREADS = 128
#: seconds shutdown waits for actors to exit when asked, before ending their processes
EXIT_GRACE = 10.0
_log = logging.getLogger("actorcore.ray")


@dataclass
class Member:
    """A running actor as the admin sees it."""

    parent: str | None
    globalName: str | None
    pid: int
    node: str | None
    handle: Any
    actorClass: str = ""


class SystemAdmin:
    """The admin of one rayBase system (see the module docstring)."""

    def __init__(self, namespace: str, capabilities: dict[str, Any], logDefs: Any,
                 log_env: dict[str, str]) -> None:
        logs.use_internal_log_env(log_env)
        self.ns = namespace
        self.address = ActorAddress(namespace)
        self.caps = capabilities
        self.began = time.monotonic()  # for the uptime of its status
        self.out = Outbound()
        self._cond = threading.Condition()
        self.actors: dict[str, Member] = {}
        self.ended: list[tuple[int, str | None, str]] = []  # (pid, node, name) of ended hosts
        self.inboxes: dict[str, deque[tuple[str, bytes]]] = {}  # endpoint -> (sender, pickled)
        self.handler: str | None = None
        self.shutting = False
        # (host, whether it died, its word: the last batch it took from each sender)
        self._reap: queue.SimpleQueue[tuple[str, bool, dict[str, int] | None]] = queue.SimpleQueue()
        self.doubts = Doubts(self._dead, lambda me: me in self.actors)
        self.sources = SourceRegistry(self._emit, self.caps)
        self._requests = system_requests(self._status, self._emit, self._verdict)
        self.nodes = NodeWatch(namespace, node_id(), self.capabilities, self._emit)
        self.log_error = logs.check(logDefs)
        logs.tag_records(namespace)
        threading.Thread(target=self._reaper, name="actorcore-ray-reaper", daemon=True).start()

    # -- programs ------------------------------------------------------------------
    def ready(self) -> tuple[int, str | None]:
        """Its pid, and why the logDefs it was given could not be applied (None: they were)."""
        return os.getpid(), self.log_error

    def open(self, endpoint: str) -> None:
        with self._cond:
            self.inboxes.setdefault(endpoint, deque())

    def close(self, endpoint: str) -> None:
        with self._cond:
            self.inboxes.pop(endpoint, None)
            self._cond.notify_all()

    @ray.method(concurrency_group="take")
    def take(self, endpoint: str, timeout: float) -> tuple[str, bytes] | bool | None:
        """The next message for ``endpoint`` (its sender, and it pickled), or
        None after ``timeout`` s; False once the system is shut down (not an
        exception: a program may have left this call's result unread, and Ray
        reports an unread failure on the program's console)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                inbox = self.inboxes.get(endpoint)
                if inbox:
                    return inbox.popleft()
                if self.shutting:
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def capabilities(self) -> dict[str, Any]:
        with self._cond:
            return dict(self.caps)

    def update_capability(self, name: Any, value: Any) -> BaseException | None:
        """The change, or the exception the caller raises (TypeError, ValueError, ActorSystemFailure)."""
        if name == NODE_CAPABILITIES:
            try:
                check_node_capabilities(value)
            except ValueError as exc:
                return exc
        with self._cond:
            try:
                changed: list[Any] | None = update_capability(self.caps, name, value, ())
            except (TypeError, ActorSystemFailure) as exc:
                return exc
            caps = dict(self.caps)
            hosts = [m.handle for m in self.actors.values()]
        if changed is not None:
            for handle in hosts:
                handle.capabilities_changed.remote(caps)
        return None

    def status(self) -> Thespian_SystemStatus:
        return self._status()

    # -- what arrives ---------------------------------------------------------------
    def deliver(self, call: bytes) -> None:
        """What one sender sent (``(target, batch)``, packed: outbound.py)."""
        target, batch = unpack(call)[:2]
        if target == self.ns or is_node_of(target, self.ns):  # a node's address is the system's
            for sender, data in batch:
                try:
                    msg = loads(data)
                except Exception as exc:
                    _log.error("system address could not unpickle a message from %s: %s", sender, exc)
                    continue
                handler = self._requests.get(type(msg))
                if handler is None:  # exit requests, stray replies: ignored, as on every base
                    _log.debug("system address ignored %r from %s", msg, sender)
                else:
                    handler(msg, ActorAddress(sender))
            return
        with self._cond:
            inbox = self.inboxes.get(target)
            if inbox is not None:
                inbox.extend(batch)
                self._cond.notify_all()
                return
        self._dead(target, batch)

    def control(self, _target: str, ops: list[tuple[Any, ...]]) -> None:
        for op in ops:
            kind = op[0]
            if kind == "started":
                self._started(*op[1:])
            elif kind == "created":
                self._created(*op[1:])
            elif kind == "dead":
                self._dead(op[1], op[2])
            elif kind == "lost":
                self.doubts.report(*op[1:])
            elif kind == "notify":
                self.nodes.register(op[1], op[2])
            elif kind == "dlh":
                with self._cond:
                    self.handler = next_dead_letter_handler(self.handler, op[1], op[2])
            elif kind == "cap":
                error = self.update_capability(op[1], op[2])
                if error is not None:
                    _log.warning("%s", error)
            elif kind == "shutdown":
                threading.Thread(target=self.shutdown, daemon=True).start()

    def _emit(self, target: Any, msg: Any) -> None:
        """Send ``msg`` from the system address."""
        details = str(target.addressDetails)
        data = dumps(msg)
        with self._cond:
            inbox = self.inboxes.get(details)
            if inbox is not None:
                inbox.append((self.ns, data))
                self._cond.notify_all()
                return
        self.out.send(details, (self.ns, data))

    def _dead(self, target: str, items: list[tuple[str, bytes]]) -> None:
        with self._cond:
            handler = self.handler if self.handler in self.actors else None
        where = ActorAddress(target)
        for sender, data in items:
            try:
                msg = loads(data)
            except Exception:
                continue
            # the sender too: an ``await self.ask`` of a gone actor ends at once
            dead_letter(where, msg, ActorAddress(handler) if handler else None, self._emit,
                        ActorAddress(sender))

    def _verdict(self, msg: Any, sender: Any) -> None:
        with self._cond:
            self.sources.on_validated(msg, sender)

    def source(self, op: str, *args: Any) -> Any:
        """The Source Authority flow (docs/api.md §8), for programs and actors:
        ``load`` (data, info) -> hash; ``unload`` (hash); ``authority``
        (address); ``watch`` (address, enable); ``state`` (hash) ->
        ("loaded", zip, info), ("pending",) or ("unknown",)."""
        with self._cond:
            sources = self.sources
            sources.expire()
            if op == "load":
                return sources.load(*args)
            if op == "unload":
                sources.unload(*args)
            elif op == "authority":
                sources.set_authority(ActorAddress(args[0]))
            elif op == "watch":
                sources.watch(ActorAddress(args[0]), args[1])
            elif op == "state":
                digest = args[0]
                if sources.is_pending(digest):
                    return ("pending",)
                found = sources.zip_for(digest)
                return ("unknown",) if found is None else ("loaded", *found)
            return None

    # -- the actors' lives -------------------------------------------------------------
    def _created(self, me: str, parent: str | None, globalName: str | None, actorClass: str,
                 handle: Any) -> None:
        """An actor made this host, which may not run yet: listed (pending) from now on."""
        self._member(me, Member(parent, globalName, 0, None, handle, actorClass))

    def _started(self, me: str, parent: str | None, globalName: str | None, pid: int,
                 node: str | None, actorClass: str = "") -> None:
        try:
            handle = self.out.handle(me)
        except Exception:
            return  # gone already
        self._member(me, Member(parent, globalName, pid, node, handle, actorClass))

    def _member(self, me: str, member: Member) -> None:
        """Note a host (created, or started: whichever is heard of first adds
        it, the start fills in its process) and watch it end, once."""
        with self._cond:
            known = self.actors.get(me)
            if known is not None:
                if member.pid:
                    known.pid, known.node = member.pid, member.node
                return
            self.actors[me] = member
        reap = self._reap
        def ended(fut: Any) -> None:
            exc = fut.exception()
            if exc is not None:
                internal_log(logging.INFO, f"{me} ended abruptly: {type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}")
            reap.put((me, exc is not None, None if exc is not None else fut.result()))

        member.handle.until_flushed.remote().future().add_done_callback(ended)

    def _reaper(self) -> None:
        """End the process of each host whose actor has finished (or died)."""
        import ray

        while True:
            me, abrupt, took = self._reap.get()
            with self._cond:
                member = self.actors.get(me)
                if member is None:
                    continue
            self.doubts.ended(me, took)  # while it is still listed (doubts.py)
            with self._cond:
                # An actor whose process was ended under it takes its children
                # with it, as on the other multiprocess bases (each of them, in
                # turn, takes its own); one that finished leaves them orphans.
                doomed = [m.handle for m in self.actors.values() if m.parent == me] if abrupt else []
            # ended before it is forgotten: a shutdown waiting for the actors to
            # be forgotten then never ends the admin before this kill has left
            for handle in [member.handle, *doomed]:
                try:
                    ray.kill(handle, no_restart=True)
                except Exception as exc:
                    _log.debug("ending a host of %s: %s", self.ns, exc)
            self.out.forget(me)
            self.nodes.forget(me)
            with self._cond:
                self.actors.pop(me, None)
                self.sources.forget(ActorAddress(me))
                if self.handler == me:
                    self.handler = None
                if member.pid:  # 0: ended before its process was heard of
                    self.ended.append((member.pid, member.node, me))
                self._cond.notify_all()

    def shutdown(self) -> list[tuple[int, str | None, str]]:
        """Ask every actor to exit, wait (bounded) for them, end what is left;
        returns (pid, node, name) of every host process this system had."""
        import ray

        asked: set[str] = set()
        deadline = time.monotonic() + EXIT_GRACE
        self.nodes.stop()
        with self._cond:
            self.shutting = True
            self._cond.notify_all()
            while self.actors and time.monotonic() < deadline:
                # top-level actors and orphans; the others go with their parents
                ask = [a for a, m in self.actors.items()
                       if (m.parent is None or m.parent not in self.actors) and a not in asked]
                asked.update(ask)
                self._cond.release()
                try:
                    for a in ask:
                        self.out.send(a, (self.ns, dumps(ActorExitRequest())))
                finally:
                    self._cond.acquire()
                self._cond.wait(0.2)
            left = list(self.actors.items())
        if left:
            internal_log(logging.WARNING, f"rayBase {self.ns}: {len(left)} actors did not exit "
                         f"within {EXIT_GRACE:g} s of shutdown; ending their processes")
        for _me, member in left:
            try:
                ray.kill(member.handle, no_restart=True)
            except Exception:
                pass
        with self._cond:
            self.ended.extend((m.pid, m.node, me) for me, m in left)
            return list(self.ended)

    # -- status ------------------------------------------------------------------------
    def _status(self) -> Thespian_SystemStatus:
        with self._cond:
            return Thespian_SystemStatus(
                adminAddress=self.address,
                conventionLeader=None,
                capabilities=dict(self.caps),
                deadLetterHandler=ActorAddress(self.handler) if self.handler else None,
                globalActors={m.globalName: ActorAddress(a)
                              for a, m in self.actors.items() if m.globalName is not None},
                inShutdown=self.shutting,
                sourceAuthority=self.sources.authority,
                loadedSources=self.sources.status(),
                childActors=[ActorAddress(a) for a, m in self.actors.items() if m.parent is None],
                pendingMessages=sum(len(i) for i in self.inboxes.values()),
                miscKeyVals={"actors": len(self.actors), "pid": os.getpid()},
                baseName=BASE_NAME,
                pid=os.getpid(),
                uptime=round(time.monotonic() - self.began, 3),
                actorTable=[
                    {
                        "address": ActorAddress(a),
                        "parent": ActorAddress(m.parent) if m.parent else None,
                        "actorClass": m.actorClass,
                        "globalName": m.globalName,
                        "pid": m.pid or None,
                        # the admin hears of an actor's end only once its host has finished
                        "state": "exiting" if self.shutting else "live" if m.pid else "pending",
                        "system": None,
                    }
                    for a, m in self.actors.items()
                ],
            )
