"""Placement by capability on a Ray cluster (issue 15 step 5).

Every node has the system's capabilities. A class whose
``actorSystemCapabilityCheck`` accepts them runs wherever Ray puts it. One
that does not is tried against each live node's own capabilities too: the
system's, plus the node's Ray resources (``CPU``, ``GPU``, custom ones given
to ``ray start --resources``) and labels (``ray start --labels``). It is
pinned to the first node that satisfies it; none does: the create is refused
as on every base (``NoCompatibleSystemForActor``, or ChildActorExited for an
actor's create)."""
from __future__ import annotations

from typing import Any

from actorcore.plugin import capability_refusal


def node_capabilities(system: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    caps = dict(system)
    caps.update(node.get("Resources") or {})
    caps.update(node.get("Labels") or {})
    return caps


def place(cls: type, system: dict[str, Any], requirements: Any
          ) -> tuple[str | None, dict[str, Any], str | None]:
    """(node to pin to or None, the capabilities the actor sees, why nowhere fits or None)."""
    refusal = capability_refusal(cls, system, requirements)
    if refusal is None:
        return None, system, None
    import ray

    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        caps = node_capabilities(system, node)
        if capability_refusal(cls, caps, requirements) is None:
            return str(node["NodeID"]), caps, None
    return None, system, f"{refusal}, nor does any node of the Ray cluster"


def pinned(node: str | None) -> dict[str, Any]:
    """The ``.options()`` that keep an actor on ``node`` (none: Ray decides)."""
    if node is None:
        return {}
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=node, soft=False)}


def node_id() -> str | None:
    """The Ray node this process runs on (None: Ray cannot say)."""
    try:
        import ray

        return str(ray.get_runtime_context().get_node_id())
    except Exception:
        return None
