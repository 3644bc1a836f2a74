"""docs/api.md §2.10, §2.11, §3.8, §3.12, §6.2: capabilities."""
from __future__ import annotations

import sys

import pytest

from actorcore.actors import (
    ActorSystemFailure,
    NoCompatibleSystemForActor,
)

from .actors.basic import Collector, Echo
from .actors.capabilities import (
    CheckRaises,
    NeedsBoth,
    NeedsGpu,
    NeedsGpuAndMemory,
    NeedsZone,
    RejectsWhenFlagged,
    Reporting,
    RequirementsMustBeEmptyDict,
    SpawnsRejected,
)
from .helpers import GET, WAIT, collected, settle


# -- common capabilities ---------------------------------------------------------
def test_common_capabilities(asys, asys_info):
    """The types of the common capabilities; each base's own values are
    checked in its own tests folder."""
    caps = asys.capabilities
    assert caps["Python Version"] == tuple(sys.version_info)
    assert isinstance(caps["Python Version"], tuple)
    assert caps["Thespian Generation"] == (3, 0)
    v = caps["Thespian Version"]
    assert isinstance(v, str) and v.isdigit()
    assert isinstance(caps["Thespian ActorSystem Name"], str)
    assert isinstance(caps["Thespian ActorSystem Version"], int)
    assert isinstance(caps["Thespian Watch Supported"], bool)
    if asys_info.watches is not None:  # what the base declares is what it reports
        assert caps["Thespian Watch Supported"] is asys_info.watches


def test_actor_sees_same_capabilities(asys):
    caps = asys.ask(asys.createActor(Reporting), "caps?", WAIT)
    for key in ("Thespian ActorSystem Name", "Thespian Generation", "Thespian Version"):
        assert caps[key] == asys.capabilities[key]


def test_read_only_capability_refused_externally(asys):
    name = asys.capabilities["Thespian ActorSystem Name"]
    with pytest.raises(ActorSystemFailure):
        asys.updateCapability("Thespian ActorSystem Name", "bogus")
    assert asys.capabilities["Thespian ActorSystem Name"] == name
    caps = asys.ask(asys.createActor(Reporting), "caps?", WAIT)
    assert caps["Thespian ActorSystem Name"] == name


def test_read_only_capability_refused_from_actor(asys):
    name = asys.capabilities["Thespian ActorSystem Name"]
    a = asys.createActor(Reporting)
    asys.ask(a, ("update", "Thespian Generation", (9, 9)), WAIT)
    caps = asys.ask(asys.createActor(Reporting), "caps?", WAIT)
    assert caps["Thespian Generation"] == (3, 0)
    assert caps["Thespian ActorSystem Name"] == name


def test_handle_capabilities_reflect_updates(asys):
    asys.updateCapability("color", "blue")
    assert asys.capabilities["color"] == "blue"
    assert asys.ask(asys.createActor(Reporting), "caps?", WAIT)["color"] == "blue"
    asys.updateCapability("color", None)
    assert "color" not in asys.capabilities
    assert "color" not in asys.ask(asys.createActor(Reporting), "caps?", WAIT)


def test_actor_update_visible_to_later_actors(asys):
    a = asys.createActor(Reporting)
    assert asys.ask(a, ("update", "flavour", "mint"), WAIT) == "updated"
    assert asys.ask(asys.createActor(Reporting), "caps?", WAIT)["flavour"] == "mint"


# -- requireCapability ---------------------------------------------------------
@pytest.mark.parametrize("value", [True, "yes", 1])
def test_require_capability_truthy_accepts(asys, value):
    asys.updateCapability("gpu", value)
    assert asys.ask(asys.createActor(NeedsGpu), "ping", WAIT) == "pong"


def test_require_capability_absent_rejects(asys):
    with pytest.raises(NoCompatibleSystemForActor):
        asys.createActor(NeedsGpu)


@pytest.mark.parametrize("value", [False, 0, ""])
def test_require_capability_falsy_rejects(asys, value):
    asys.updateCapability("gpu", value)
    with pytest.raises(NoCompatibleSystemForActor):
        asys.createActor(NeedsGpu)


def test_no_compatible_system_message_starts_with_thespians_wording(asys):
    with pytest.raises(NoCompatibleSystemForActor) as caught:
        asys.createActor(NeedsGpu)
    text = str(caught.value)
    assert text.startswith("No compatible ActorSystem could be found for Actor ")
    assert "NeedsGpu" in text  # which actor, then actorcore's detail


def test_require_capability_value(asys):
    asys.updateCapability("zone", "eu-2")
    with pytest.raises(NoCompatibleSystemForActor):
        asys.createActor(NeedsZone)
    asys.updateCapability("zone", "eu-1")
    assert asys.ask(asys.createActor(NeedsZone), "ping", WAIT) == "pong"


def test_require_capability_stacks_with_and(asys):
    asys.updateCapability("zone", "eu-1")
    with pytest.raises(NoCompatibleSystemForActor):
        asys.createActor(NeedsBoth)
    asys.updateCapability("gpu", True)
    asys.updateCapability("zone", "us-1")
    with pytest.raises(NoCompatibleSystemForActor):
        asys.createActor(NeedsBoth)
    asys.updateCapability("zone", "eu-1")
    assert asys.ask(asys.createActor(NeedsBoth), "ping", WAIT) == "pong"


def test_require_capability_combines_with_explicit_check(asys):
    asys.updateCapability("gpu", True)
    asys.updateCapability("free_mem_gb", 4)
    assert asys.ask(asys.createActor(NeedsGpuAndMemory, {"mem_gb": 2}), "ping", WAIT) == "pong"
    with pytest.raises(NoCompatibleSystemForActor):
        asys.createActor(NeedsGpuAndMemory, {"mem_gb": 8})
    asys.updateCapability("gpu", None)
    with pytest.raises(NoCompatibleSystemForActor):
        asys.createActor(NeedsGpuAndMemory, {"mem_gb": 2})


def test_check_exception_counts_as_false(asys):
    with pytest.raises(NoCompatibleSystemForActor):
        asys.createActor(CheckRaises)
    assert asys.ask(asys.createActor(Echo), "alive", WAIT) == "alive"


def test_check_gets_empty_dict_when_no_requirements(asys):
    assert asys.ask(asys.createActor(RequirementsMustBeEmptyDict), "ping", WAIT) == "pong"


def test_child_create_rejected_reaches_parent(asys):
    p = asys.createActor(SpawnsRejected)
    assert asys.ask(p, "go", WAIT) == ("child-exited", True)


# -- re-validation ---------------------------------------------------------------
def test_update_revalidates_running_actors(asys):
    col = asys.createActor(Collector)
    asys.updateCapability("gpu", True)
    needy = asys.createActor(NeedsGpu)
    plain = asys.createActor(Reporting)
    for a in (needy, plain):
        assert asys.ask(a, ("report-to", col), WAIT) == "ok"
    asys.updateCapability("gpu", None)
    got = collected(asys, col, lambda g: len(g) >= 1)
    settle(asys)
    got = asys.ask(col, GET, WAIT)
    assert got == [("exit", "NeedsGpu")]
    assert asys.ask(needy, "ping", 1) is None
    assert asys.ask(plain, "ping", WAIT) == "pong"


def test_unchanged_value_changes_nothing(asys, tmp_path):
    col = asys.createActor(Collector)
    flag = tmp_path / "reject"
    asys.updateCapability("color", "red")
    a = asys.createActor(RejectsWhenFlagged, {"reject-if": str(flag)})
    assert asys.ask(a, ("report-to", col), WAIT) == "ok"
    flag.write_text("now reject")
    asys.updateCapability("color", "red")
    settle(asys)
    assert asys.ask(a, "ping", WAIT) == "pong"
    assert asys.ask(col, GET, WAIT) == []
    # a real change re-runs every actor's check with its original requirements
    asys.updateCapability("color", "green")
    got = collected(asys, col, lambda g: len(g) >= 1)
    assert got == [("exit", "RejectsWhenFlagged")]


def test_actor_update_can_disqualify_itself(asys):
    col = asys.createActor(Collector)
    asys.updateCapability("gpu", True)
    needy = asys.createActor(NeedsGpu)
    assert asys.ask(needy, ("report-to", col), WAIT) == "ok"
    assert asys.ask(needy, ("update", "gpu", None), WAIT) == "updated"
    got = collected(asys, col, lambda g: len(g) >= 1)
    assert got == [("exit", "NeedsGpu")]
    assert "gpu" not in asys.ask(asys.createActor(Reporting), "caps?", WAIT)


def test_handle_capabilities_are_not_a_live_view(asys):
    a = asys.createActor(Reporting)
    assert asys.ask(a, ("update", "from-actor", 1), WAIT) == "updated"
    assert "from-actor" not in asys.capabilities


@pytest.mark.requires("admin_port")
@pytest.mark.parametrize("port", ["x", "1900"])  # "1900": a number, but given as a string
def test_a_bad_capability_value_fails_start_up_with_a_short_clear_error(asys_base, port):
    """``{"Admin Port": "x"}``: a ValueError naming the capability and what it
    must be, raised from actorcore's own frames (no plugin-manager frames to
    read through first, no chained exception), and nothing started."""
    import traceback

    from actorcore.actors import ActorSystem
    from actorcore.testing import descendants

    before = descendants()
    with pytest.raises(ValueError, match=rf"^Admin Port must be an int .*not str '{port}'$") as caught:
        ActorSystem(asys_base, {"Admin Port": port}, logDefs=False, transientUnique=True)
    exc = caught.value
    assert exc.__cause__ is None and exc.__suppress_context__
    frames = traceback.extract_tb(exc.__traceback__)
    assert not [f.filename for f in frames if "pluggy" in f.filename], frames
    assert len(frames) <= 5, [f"{f.filename}:{f.lineno}" for f in frames]
    assert not (descendants() - before)
