"""Run by test_multinode.py in a process of its own: a Ray cluster of a head
and two nodes with different resources (ray.cluster_utils.Cluster, all on
127.0.0.1), a rayBase system joined to it, and the checks; prints one JSON
line of what it saw."""
from __future__ import annotations

import json
import os
import sys

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # every node on loopback
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from multinode_actors import (  # noqa: E402
    Handler,
    NeedsAlpha,
    NeedsBeta,
    NeedsGamma,
    NeedsHead,
    NeedsRed,
    Watcher,
)
from ray.cluster_utils import Cluster  # noqa: E402

from actorcore.actors import ActorSystem, NoCompatibleSystemForActor  # noqa: E402

MB = 1024 * 1024
WAIT = 60


_others: list = []  # what came while waiting for something else


def _take(asys: ActorSystem, kind: str, n: int) -> list:
    """The next ``n`` messages to the program tagged ``kind`` (fewer if they stop coming)."""
    got = [m for m in _others if isinstance(m, tuple) and m[0] == kind][:n]
    for m in got:
        _others.remove(m)
    while len(got) < n:
        msg = asys.listen(WAIT)
        if msg is None:
            break
        if isinstance(msg, tuple) and msg[0] == kind:
            got.append(msg)
        else:
            _others.append(msg)
    return got


def main() -> None:
    out: dict = {}
    small = {"object_store_memory": 80 * MB, "num_cpus": 1}
    cluster = Cluster(initialize_head=True, head_node_args={
        **small, "resources": {"head": 1}, "include_dashboard": False})
    try:
        alpha = cluster.add_node(**small, resources={"alpha": 1})
        beta = cluster.add_node(**small, resources={"beta": 1})
        cluster.wait_for_nodes()
        ids = {"alpha": alpha.node_id, "beta": beta.node_id, "head": cluster.head_node.node_id}
        asys = ActorSystem("rayBase", {"Ray Address": cluster.address,
                                       "Ray Node Capabilities": {alpha.node_id: {"colour": "red"}}},
                           transientUnique=True)
        try:
            a = asys.createActor(NeedsAlpha)
            b = asys.createActor(NeedsBeta)
            out["alpha_on"] = [k for k, v in ids.items() if v == asys.ask(a, "where", WAIT)[0]]
            out["beta_on"] = [k for k, v in ids.items() if v == asys.ask(b, "where", WAIT)[0]]
            red = asys.createActor(NeedsRed)
            out["red_on"] = [k for k, v in ids.items() if v == asys.ask(red, "where", WAIT)[0]]
            try:
                asys.createActor(NeedsGamma)
                out["gamma"] = "created"
            except NoCompatibleSystemForActor as exc:
                out["gamma"] = "refused: " + str(exc)
            me = asys.createActor(Handler)  # the program's reply-to: any actor would do
            assert asys.ask(me, "start", WAIT) == "ready"
            asys.tell(a, ("relay", b, me))  # alpha's actor to beta's: the reply comes to the handler
            got = asys.listen(WAIT)
            out["cross_node"] = [got[0], got[1] == a, [k for k, v in ids.items() if v == got[2][0]]]
            watcher = asys.createActor(Watcher)
            assert asys.ask(watcher, "watch", WAIT) == "watching"
            # the nodes there already, each once, the system's own (the head) not among them
            out["nodes_at_start"] = sorted((u[1], u[2]) for u in _take(asys, "update", 2))
            gamma = cluster.add_node(**small, resources={"gamma": 1})
            cluster.wait_for_nodes()
            joined = _take(asys, "update", 1)
            out["node_joined"] = [(u[1], u[2]) for u in joined]
            out["node_address"] = joined[0][3].endswith("@" + gamma.node_id) if joined else False
            parent = asys.createActor(NeedsHead)
            child, (child_node, _pid) = asys.ask(parent, ("spawn", NeedsBeta), WAIT)
            out["child_on"] = [k for k, v in ids.items() if v == child_node]
            cluster.remove_node(beta)  # the node of b and of the parent's child goes away
            out["parent_told"] = [m[1] == child for m in _take(asys, "exited", 1)]
            out["node_left"] = [(u[1], u[2]) for u in _take(asys, "update", 1)]
            asys.tell(child, "anyone?")
            out["dead_letter"] = _take(asys, "dead", 1) == [("dead", child, "anyone?")]
            out["others"] = [repr(m) for m in _others]
        finally:
            asys.shutdown()
    finally:
        cluster.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
