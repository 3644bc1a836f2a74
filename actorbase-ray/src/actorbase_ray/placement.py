"""Placement by capability on a Ray cluster (issue 15 step 5).

Every node has the system's capabilities. A class whose
``actorSystemCapabilityCheck`` accepts them runs wherever Ray puts it. One
that does not is tried against each live node's own capabilities too: the
system's, plus the node's Ray resources (``CPU``, ``GPU``, custom ones given
to ``ray start --resources``) and labels (``ray start --labels``), plus what
the ``Ray Node Capabilities`` capability gives that node. It is
pinned to the first node that satisfies it; none does: the create is refused
as on every base (``NoCompatibleSystemForActor``, or ChildActorExited for an
actor's create)."""
from __future__ import annotations

from typing import Any

from actorcore.plugin import capability_refusal

#: the system capability that gives nodes capabilities of the user's own:
#: ``{selector: {name: value, ...}, ...}``, where a selector is a node's Ray
#: node id, its address or host name, or ``label=value`` for a Ray label
NODE_CAPABILITIES = "Ray Node Capabilities"


def node_capabilities(system: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """What an actor sees on ``node`` (an entry of ``ray.nodes()``): the
    system's capabilities, the node's Ray resources and labels, then what
    ``Ray Node Capabilities`` gives the nodes it selects (later selectors win)."""
    caps = dict(system)
    caps.update(node.get("Resources") or {})
    labels = node.get("Labels") or {}
    caps.update(labels)
    given = system.get(NODE_CAPABILITIES)
    if isinstance(given, dict):
        for selector, extra in given.items():
            if isinstance(extra, dict) and _selects(str(selector), node, labels):
                caps.update(extra)
    return caps


def _selects(selector: str, node: dict[str, Any], labels: dict[str, Any]) -> bool:
    key, eq, value = selector.partition("=")
    if eq:
        return key in labels and str(labels[key]) == value
    return selector in (str(node.get("NodeID")), node.get("NodeManagerAddress"),
                        node.get("NodeManagerHostname"))


def check_node_capabilities(value: Any) -> None:
    """ValueError unless ``value`` is a ``Ray Node Capabilities`` setting (or None)."""
    if value is None:
        return
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) for k, v in value.items()):
        raise ValueError(
            f"{NODE_CAPABILITIES} must map node selectors (a node id, address or host name, "
            f"or label=value) to dicts of capabilities, not {value!r}")


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
