"""pytest plugin (entry point ``pytest11``): the ``asys`` fixture over every installed base.

Any test that takes ``asys`` (or ``asys_base``) runs once per installed
system base, on a fresh ``transientUnique`` system that is shut down
afterwards. ``ACTORCORE_TEST_BASES=name1,name2`` narrows the list. A
third-party base gets our conformance suite by installing its plugin and
running the ``tests/`` of this repository.
"""
from __future__ import annotations

import os
import socket
from typing import Any, Iterator

import pytest

from . import plugins
from .registry import SystemBaseInfo


def installed_bases() -> list[str]:
    """Names of the bases the fixture runs on (installed, narrowed by env)."""
    names = plugins.registry().names()
    wanted = os.environ.get("ACTORCORE_TEST_BASES")
    if wanted:
        chosen = [n.strip() for n in wanted.split(",") if n.strip()]
        missing = [n for n in chosen if n not in names]
        if missing:
            raise pytest.UsageError(
                f"ACTORCORE_TEST_BASES names bases that are not installed: {missing}; "
                f"installed: {names}"
            )
        return chosen
    return names


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody is bound to right now on 127.0.0.1 (for ``Admin Port``)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_capabilities(info: SystemBaseInfo) -> dict[str, Any]:
    """Capabilities for a test system of base ``info``: a free Admin Port where it has one."""
    caps: dict[str, Any] = {}
    if "Admin Port" in info.capabilities:
        kind = socket.SOCK_DGRAM if "UDP" in info.name else socket.SOCK_STREAM
        caps["Admin Port"] = free_port(kind)
    return caps


def simpleActorTestLogging() -> Any:
    """logDefs for tests (Thespian's helper name): leave logging to pytest."""
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "asys_base" in metafunc.fixturenames:
        bases = installed_bases()
        if not bases:
            raise pytest.UsageError("no actorcore system base is installed")
        metafunc.parametrize("asys_base", bases, ids=bases, scope="function")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "multiprocess_only(reason): skip on bases that run actors in-process"
    )


@pytest.fixture
def asys_info(asys_base: str) -> SystemBaseInfo:
    """The registry entry of the base under test."""
    info = plugins.registry().get(asys_base)
    assert info is not None
    return info


@pytest.fixture
def asys(asys_base: str, asys_info: SystemBaseInfo, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh actor system of each installed base, shut down afterwards."""
    from .system import ActorSystem

    marker = request.node.get_closest_marker("multiprocess_only")
    if marker is not None and not asys_info.multiprocess:
        pytest.skip(marker.args[0] if marker.args else "needs a multiprocess base")
    system = ActorSystem(
        asys_base,
        capabilities=test_capabilities(asys_info),
        logDefs=False,
        transientUnique=True,
    )
    try:
        yield system
    finally:
        system.shutdown()
