"""Systems of the base under test joined in conventions on loopback, each with
its own Admin Port, for the convention tests (no tests here): the ``systems``
fixture and the waits they share."""
from __future__ import annotations

import pytest

from actorcore import testing
from actorcore.actors import ActorSystem, Thespian_StatusReq
from actorcore.testing import descendants, until, wait_no_descendants

from .actors.conventions import Watcher

WAIT = 15
PERIOD = "00:00.5"


class Systems:
    """Starts systems for one test and shuts every one of them down after it."""

    def __init__(self, base, info):
        self.base = base
        self.info = info
        self.started = []

    def free_port(self):
        return testing.capabilities_for(self.info)["Admin Port"]

    def start(self, caps=None, leader=None, port=None, logDefs=False):
        # the base's test capabilities (a free Admin Port, and a variant's, such
        # as {"Outbound Only": true}, from ACTORCORE_TEST_CAPABILITIES) first
        caps = {**testing.capabilities_for(self.info), **(caps or {})}
        if port is not None:
            caps["Admin Port"] = port
        if leader is not None:
            caps["Convention Address.IPv4"] = ("127.0.0.1", leader)
        system = ActorSystem(self.base, caps, logDefs=logDefs, transientUnique=True)
        self.started.append(system)
        return system

    def close(self):
        for system in self.started:
            system.shutdown()


@pytest.fixture
def systems(asys_base, asys_info, monkeypatch):
    testing.require(asys_info, "conventions")
    monkeypatch.setenv("CONVENTION_REREGISTRATION_PERIOD", PERIOD)
    monkeypatch.setenv("CONVENTION_REGISTRATION_MISS_MAX", "3")
    before = descendants()
    made = Systems(asys_base, asys_info)
    try:
        yield made
    finally:
        made.close()
    assert not wait_no_descendants(before), "processes left behind"


def admin_pid(system) -> int:
    return system.ask(system.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]


def watcher(system):
    w = system.createActor(Watcher)
    assert system.ask(w, "watch", WAIT) == "watching"
    return w


def members_heard(system, w, expect):
    """The (sysid, added) pairs ``w`` heard, once at least ``expect`` of them came."""
    def got():
        heard = system.ask(w, "heard", WAIT)
        return heard if len(heard) >= expect else None
    return until(got)


def knows_leader(member):
    """Wait until ``member`` has heard its leader answer (it can place through it)."""
    w = watcher(member)
    members_heard(member, w, 1)
