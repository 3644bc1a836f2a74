"""docs/api.md §8.5-8.6: a validated source travels with a create forwarded to
another convention member, as that member's AllowRemoteActorSources allows."""
from __future__ import annotations

import io
import time

import pytest

from actorcore import testing
from actorcore.actors import ActorSystem, InvalidActorSourceHash, Thespian_StatusReq
from actorcore.testing import descendants, wait_no_descendants

pytest.importorskip("sourceauth_zip", reason="sourceauth-zip is not installed")

from sourceauth_zip import build_archive  # noqa: E402

from .helpers import WAIT  # noqa: E402
from .sourcezips import md5, trust  # noqa: E402

WORKER = '''
import os
from actorcore.actors import Actor, requireCapability


@requireCapability("gpu")
class Worker(Actor):
    def receiveMessage(self, message, sender):
        if message == "where":
            self.send(sender, os.getppid())
'''


@pytest.fixture
def convention(asys_base, asys_info, monkeypatch):
    testing.require(asys_info, "conventions")
    monkeypatch.setenv("CONVENTION_REREGISTRATION_PERIOD", "00:00.5")
    before = descendants()
    started = []

    def start(**caps):
        all_caps = dict(testing.capabilities_for(asys_info), **caps)
        system = ActorSystem(asys_base, all_caps, logDefs=False, transientUnique=True)
        started.append(system)
        return system

    try:
        yield start
    finally:
        for system in started:
            system.shutdown()
    assert not wait_no_descendants(before)


def _members(system, n):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        status = system.ask(system.systemAddress, Thespian_StatusReq(), WAIT)
        if len(status.conventionAttendees) >= n:
            return
        time.sleep(0.05)
    pytest.fail(f"fewer than {n} members joined within {WAIT} s")


def _pid(system):
    return system.ask(system.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]


def test_source_travels_to_the_member_that_hosts_the_actor(convention):
    leader = convention()
    where = ("127.0.0.1", leader.capabilities["Admin Port"])
    member = convention(**{"Convention Address.IPv4": where, "gpu": True})
    _members(leader, 1)
    data = build_archive({"gpuapp/__init__.py": "", "gpuapp/actors.py": WORKER})
    trust(leader, md5(data))
    h = leader.loadActorSource(io.BytesIO(data))
    worker = leader.createActor("gpuapp.actors.Worker", sourceHash=h)
    assert leader.ask(worker, "where", WAIT) == _pid(member)
    loaded = dict(member.ask(member.systemAddress, Thespian_StatusReq(), WAIT).loadedSources)
    assert h in loaded  # installed there without its own authority


@pytest.mark.parametrize("policy, accepted", [("No", False), ("LeaderOnly", True), ("nonsense", False)])
def test_allow_remote_actor_sources_decides(convention, policy, accepted):
    leader = convention()
    where = ("127.0.0.1", leader.capabilities["Admin Port"])
    member = convention(**{"Convention Address.IPv4": where, "gpu": True,
                           "AllowRemoteActorSources": policy})
    _members(leader, 1)
    data = build_archive({"gpuapp/__init__.py": "", "gpuapp/actors.py": WORKER})
    trust(leader, md5(data))
    h = leader.loadActorSource(io.BytesIO(data))
    if accepted:  # only the member can host it: it took the leader's source
        worker = leader.createActor("gpuapp.actors.Worker", sourceHash=h)
        assert leader.ask(worker, "where", WAIT) == _pid(member)
    else:
        with pytest.raises(InvalidActorSourceHash):
            leader.createActor("gpuapp.actors.Worker", sourceHash=h)
