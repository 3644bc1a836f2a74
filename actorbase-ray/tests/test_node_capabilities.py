"""Capabilities a user gives nodes of the cluster (``Ray Node Capabilities``):
which nodes a selector picks, and a bad setting refused. Placement on them is
in test_multinode.py."""
from __future__ import annotations

import pytest
from actorbase_ray.placement import NODE_CAPABILITIES, node_capabilities

from actorcore.actors import ActorSystem, ActorSystemStartupFailure

NODE = {"NodeID": "abc123", "NodeManagerAddress": "10.0.0.7", "NodeManagerHostname": "gpu-7",
        "Resources": {"CPU": 8.0, "GPU": 1.0}, "Labels": {"zone": "eu-1"}}


def _caps(given):
    return node_capabilities({"Base": "system", NODE_CAPABILITIES: given}, NODE)


@pytest.mark.parametrize("selector", ["abc123", "10.0.0.7", "gpu-7", "zone=eu-1"])
def test_a_selector_picks_the_node_by_id_address_host_name_or_label(selector):
    caps = _caps({selector: {"colour": "red"}})
    assert caps["colour"] == "red"
    assert caps["Base"] == "system" and caps["GPU"] == 1.0 and caps["zone"] == "eu-1"


@pytest.mark.parametrize("selector", ["abc124", "10.0.0.8", "gpu", "zone=eu-2", "region=eu-1"])
def test_a_selector_of_another_node_gives_this_one_nothing(selector):
    assert "colour" not in _caps({selector: {"colour": "red"}})


def test_later_selectors_win_and_may_override_what_ray_says():
    caps = _caps({"zone=eu-1": {"colour": "red", "GPU": 0}, "gpu-7": {"colour": "blue"}})
    assert caps["colour"] == "blue" and caps["GPU"] == 0


@pytest.mark.parametrize("bad", [["abc123"], {"abc123": "red"}, {1: {"colour": "red"}}])
def test_a_malformed_setting_fails_the_start_naming_the_capability(bad):
    with pytest.raises(ActorSystemStartupFailure, match=NODE_CAPABILITIES):
        ActorSystem("rayBase", {NODE_CAPABILITIES: bad}, transientUnique=True)
