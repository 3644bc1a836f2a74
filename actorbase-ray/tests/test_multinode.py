"""rayBase on a Ray cluster of three nodes (issue 15 step 7, the multi-node
module): placement by capability (Ray's and the user's), an actor on one node messaging one on
another, nodes joining and leaving told as convention updates to an actor
that asked, a node removed (its actors' parents told, mail to them dead
letters), and nothing left running. The cluster (ray.cluster_utils) lives in
a program of its own: this test session may have a Ray of its own already."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from actorcore.testing import descendants, wait_no_descendants

HERE = os.path.dirname(os.path.abspath(__file__))


def test_three_nodes_placement_cross_node_messages_node_updates_and_a_node_removed():
    before = descendants()
    done = subprocess.run(
        [sys.executable, os.path.join(HERE, "multinode_driver.py")],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    left = wait_no_descendants(before, 30.0)
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["alpha_on"] == ["alpha"]
    assert out["beta_on"] == ["beta"]
    assert out["red_on"] == ["alpha"]  # the node the user gave "colour": "red"
    assert out["gamma"].startswith("refused: ") and "nor does any node" in out["gamma"]
    assert out["cross_node"] == ["got hello", True, ["beta"]]
    assert out["nodes_at_start"] == [[True, ["alpha"]], [True, ["beta"]]]
    assert out["node_joined"] == [[True, ["gamma"]]] and out["node_address"] is True
    assert out["child_on"] == ["beta"]
    assert out["parent_told"] == [True]
    assert out["node_left"] == [[False, ["beta"]]]
    assert out["dead_letter"] is True
    assert out["others"] == []
    assert not left, f"processes left: {sorted(left)}"
