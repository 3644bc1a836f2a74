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

from multinode_actors import Handler, NeedsAlpha, NeedsBeta, NeedsGamma, NeedsHead  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

from actorcore.actors import ActorSystem, NoCompatibleSystemForActor  # noqa: E402

MB = 1024 * 1024
WAIT = 60


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
        asys = ActorSystem("rayBase", {"Ray Address": cluster.address}, transientUnique=True)
        try:
            a = asys.createActor(NeedsAlpha)
            b = asys.createActor(NeedsBeta)
            out["alpha_on"] = [k for k, v in ids.items() if v == asys.ask(a, "where", WAIT)[0]]
            out["beta_on"] = [k for k, v in ids.items() if v == asys.ask(b, "where", WAIT)[0]]
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
            parent = asys.createActor(NeedsHead)
            child, (child_node, _pid) = asys.ask(parent, ("spawn", NeedsBeta), WAIT)
            out["child_on"] = [k for k, v in ids.items() if v == child_node]
            cluster.remove_node(beta)  # the node of b and of the parent's child goes away
            seen = []
            while len(seen) < 1:
                msg = asys.listen(WAIT)
                if msg is None:
                    break
                seen.append(msg)
            out["parent_told"] = [m[0] == "exited" and m[1] == child for m in seen]
            asys.tell(child, "anyone?")
            got = asys.listen(WAIT)
            out["dead_letter"] = got == ("dead", child, "anyone?") or repr(got)
        finally:
            asys.shutdown()
    finally:
        cluster.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
