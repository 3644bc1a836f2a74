"""Nodes of the Ray cluster joining and leaving, told to the actors that asked.

A Ray cluster is one rayBase system, so its nodes take the place of a
convention's members: an actor that calls
``notifyOnSystemRegistrationChanges(True)`` gets an
``ActorSystemConventionUpdate`` for each node other than the admin's own
(``remoteAdded=True``, at once for those already there), and one for each
node that joins or leaves afterwards. A node's address is
``<namespace>@<node id>`` (mail to it reaches the system's admin, as it is
the same system); its capabilities are the system's plus its Ray resources
and labels, what placement sees (placement.py).

Ray offers no public subscription to node events, so the admin asks
``ray.nodes()`` every :data:`POLL` seconds, only while some actor is
registered. A node Ray has not yet declared dead is still a member: how soon
a lost node is reported is Ray's health check's (a node removed cleanly is
at once).
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from actorcore.actors import ActorAddress, ActorSystemConventionUpdate

from .addressing import RayId
from .placement import node_capabilities

#: seconds between looks at the cluster's nodes, while an actor is registered
POLL = 0.5
_log = logging.getLogger("actorcore.ray")


def node_address(namespace: str, node_id: str) -> ActorAddress:
    return ActorAddress(RayId(f"{namespace}@{node_id}"))


def is_node_of(details: str, namespace: str) -> bool:
    """Whether ``details`` is the address of a node of system ``namespace``."""
    return details.startswith(namespace + "@")


class NodeWatch:
    """The admin's registrations for node updates, and the nodes last seen."""

    def __init__(self, namespace: str, own_node: str | None,
                 capabilities: Callable[[], dict[str, Any]],
                 emit: Callable[[ActorAddress, Any], None]) -> None:
        self.ns = namespace
        self.own = own_node
        self._caps = capabilities
        self._emit = emit
        self._lock = threading.Lock()
        self.watchers: list[str] = []
        self._known: dict[str, dict[str, Any]] | None = None  # node id -> its capabilities
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def register(self, actor: str, start: bool) -> None:
        if not start:
            self.forget(actor)
            return
        with self._lock:
            if actor in self.watchers:
                return
            if not self.watchers:  # nobody kept the nodes up to date meanwhile
                self._known = self._nodes()
            self.watchers.append(actor)
            known = dict(self._known or {})
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="actorcore-ray-nodes", daemon=True)
                self._thread.start()
        for node, caps in known.items():
            self._emit(ActorAddress(actor), self._update(node, caps, True))

    def forget(self, actor: str) -> None:
        """``actor`` stopped asking, or ended."""
        with self._lock:
            if actor in self.watchers:
                self.watchers.remove(actor)

    def stop(self) -> None:
        self._stopped.set()

    def _update(self, node: str, caps: dict[str, Any], added: bool) -> ActorSystemConventionUpdate:
        return ActorSystemConventionUpdate(node_address(self.ns, node), caps, added)

    def _nodes(self) -> dict[str, dict[str, Any]]:
        """The live nodes other than the admin's, with their capabilities."""
        import ray

        system = self._caps()
        return {str(n["NodeID"]): node_capabilities(system, n) for n in ray.nodes()
                if n.get("Alive") and str(n["NodeID"]) != self.own}

    def _run(self) -> None:
        while not self._stopped.wait(POLL):
            with self._lock:
                if not self.watchers:
                    continue
            try:
                now = self._nodes()
            except Exception as exc:  # Ray could not say: look again later
                _log.debug("listing the nodes of %s failed: %s", self.ns, exc)
                continue
            with self._lock:
                before = self._known or {}
                self._known = now
                watchers = list(self.watchers)
            updates = [self._update(n, c, True) for n, c in now.items() if n not in before]
            updates += [self._update(n, c, False) for n, c in before.items() if n not in now]
            for update in updates:
                for actor in watchers:
                    self._emit(ActorAddress(actor), update)
