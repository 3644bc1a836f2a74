"""actorcore/transport.py: a base's transport is checked against the contract
when a system starts, and one that breaks it is refused clearly, leaving
nothing behind."""
from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from actorcore._core import plugins
from actorcore._core.hookspecs import hookimpl
from actorcore._core.runtime.client import BaseConfig, MultiprocSystem
from actorcore.actors import ActorSystem, ActorSystemStartupFailure
from actorcore.testing import descendants, wait_no_descendants

NAME = "testsSharedWithoutAttach"
PLUGIN = "tests-shared-without-attach"


class PrivateOnlyTransport:
    """A client transport that can start a private admin but cannot attach to
    one on an Admin Port (it has no try_attach, preflight, admin_lost, ...)."""

    def __init__(self) -> None:
        self.address = self.client_prefix = "pc"
        self.admin_address = "pa"
        self.closed = False

    def send(self, target: Any, envelope: Any) -> None:
        raise AssertionError("nothing may be sent: the system must not start")

    def receive(self, timeout: float | None, waitables: Any = ()) -> tuple[list[Any], list[Any]]:
        raise AssertionError("nothing may be received: the system must not start")

    def backlog(self) -> int:
        return 0

    def admin_link(self) -> Any:
        raise AssertionError("no admin may be started")

    def close(self) -> None:
        self.closed = True


class SharedWithoutAttach:
    """A base declared shared (its admin found on the Admin Port) whose transport cannot attach."""

    def __init__(self) -> None:
        self.made: list[PrivateOnlyTransport] = []

    @hookimpl
    def actorcore_register_system_bases(self, register: Any) -> None:
        config = BaseConfig(name=NAME, system_name=NAME, system_version=1, watch_supported=False,
                            start_methods=("fork", "spawn"), shared=True)
        register.add(NAME, partial(MultiprocSystem, config), summary="a broken shared base (tests)",
                     multiprocess=True)

    @hookimpl
    def actorcore_make_transport(self, base_name: str, capabilities: Any) -> Any:
        if base_name != NAME:
            return None
        self.made.append(PrivateOnlyTransport())
        return self.made[-1]


@pytest.fixture
def broken_base():
    plugin = SharedWithoutAttach()
    plugins.register_plugin(plugin, name=PLUGIN)
    try:
        yield plugin
    finally:
        plugins.unregister_plugin(PLUGIN)


def test_a_shared_base_whose_transport_cannot_attach_is_refused_at_start(broken_base):
    before = descendants()
    with pytest.raises(ActorSystemStartupFailure, match="SharedClientTransport"):
        ActorSystem(NAME, transientUnique=True, logDefs=False)
    (transport,) = broken_base.made
    assert transport.closed
    assert not wait_no_descendants(before)
