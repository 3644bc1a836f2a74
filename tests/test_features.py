"""What a base declares about itself on its registration (docs/plugins.md,
"Features"), how the suite skips by it, and that what the base under test
declares is what it does."""
from __future__ import annotations

import socket

import pytest

from actorcore import testing
from actorcore._core.registry import FEATURES, BaseRegistry, SystemBaseInfo


def _factory(capabilities, logDefs, transientUnique):  # never called: no system is started
    raise AssertionError("not for starting")


def _info(**features) -> SystemBaseInfo:
    return SystemBaseInfo(name="someBase", factory=_factory, summary="", **features)


def test_a_base_that_declares_nothing_leaves_every_feature_undeclared():
    register = BaseRegistry()
    register.add("someBase", _factory, summary="declares nothing")
    info = register.get("someBase")
    assert info is not None
    assert info.features() == {}
    assert all(getattr(info, name) is None for name in FEATURES)


def test_declared_features_are_kept_and_listed():
    register = BaseRegistry()
    register.add("someBase", _factory, summary="", multiprocess=False, admin_port="udp")
    info = register.get("someBase")
    assert info is not None
    assert (info.multiprocess, info.admin_port) == (False, "udp")
    assert info.features() == {"multiprocess": False, "admin_port": "udp"}


def test_an_unknown_feature_is_refused_at_registration():
    with pytest.raises(TypeError, match=r"'someBase' declares unknown features \['conventoins'\]"):
        BaseRegistry().add("someBase", _factory, summary="", conventoins=True)


@pytest.mark.parametrize("feature, value", [("conventions", "yes"), ("watches", 1),
                                            ("admin_port", True), ("admin_port", "TCP")])
def test_a_feature_of_the_wrong_type_is_refused_at_registration(feature, value):
    with pytest.raises(TypeError, match=f"feature {feature} must be"):
        BaseRegistry().add("someBase", _factory, summary="", **{feature: value})


def test_an_undeclared_feature_satisfies_neither_a_need_nor_its_absence():
    info = _info()
    assert "someBase does not declare it" in testing.missing_features(info, "conventions")
    assert "someBase does not declare it" in testing.missing_features(info, copies_messages=False)


def test_a_declared_feature_satisfies_what_it_says_and_nothing_else():
    info = _info(conventions=True, copies_messages=False)
    assert testing.missing_features(info, "conventions", copies_messages=False) is None
    assert "declares copies_messages=False" in testing.missing_features(info, "copies_messages")
    assert "declares copies_messages=False" in testing.missing_features(info, copies_messages=True)


def test_the_skip_reason_names_the_feature_the_base_and_where_features_are_told():
    why = testing.missing_features(_info(watches=False), "recovers_unread", watches=True)
    assert why == ("needs a base with recovers_unread; someBase does not declare it "
                   "(features: docs/plugins.md)")
    why = testing.missing_features(_info(watches=False), watches=True)
    assert why == ("needs a base with watches=True; someBase declares watches=False "
                   "(features: docs/plugins.md)")


def test_a_misspelt_feature_in_a_test_is_a_usage_error_not_a_skip():
    with pytest.raises(pytest.UsageError, match="unknown features"):
        testing.missing_features(_info(), "convention")
    with pytest.raises(pytest.UsageError, match="unknown feature"):
        testing.declared(_info(), "watch")


@pytest.mark.parametrize("admin_port, kinds", [
    ("tcp", [socket.SOCK_STREAM]),
    ("udp", [socket.SOCK_DGRAM]),
    (None, [socket.SOCK_STREAM, socket.SOCK_DGRAM]),  # an Admin Port of no declared protocol
])
def test_the_test_systems_admin_port_is_free_for_the_declared_protocol(admin_port, kinds):
    info = SystemBaseInfo(name="someBase", factory=_factory, summary="",
                          capabilities={"Admin Port": 2100}, admin_port=admin_port)
    port = testing.capabilities_for(info)["Admin Port"]
    assert port != 2100
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", port))


def test_no_admin_port_for_a_base_without_one():
    assert "Admin Port" not in testing.capabilities_for(_info())


# -- what the base under test declares is what it does --------------------------------


def test_a_declared_admin_port_is_the_one_the_system_listens_on(asys, asys_info):
    kind = testing.declared(asys_info, "admin_port")
    port = asys.capabilities["Admin Port"]
    taken = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, taken) as s, pytest.raises(OSError):
        s.bind(("127.0.0.1", port))
