"""Programs that attach to a system whose peers must hold its secret
(docs/api.md §9.4): one with the wrong secret can neither attach nor stop
it, and one with the secret still cannot send as another process. Runs on
every base that declares ``authenticated`` and ``shared``; what a base's own
wire format refuses is tested in that base's folder (tests/security/hostile*.py
are the attackers)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from actorcore import testing
from actorcore.actors import Thespian_StatusReq

from ..actors.basic import Collector, Echo
from ..helpers import GET, WAIT
from .attack import guarded_system, logged, serving

pytestmark = pytest.mark.requires("authenticated", "shared")


@pytest.fixture
def guarded(asys_base, asys_info, tmp_path):
    """A system of the base under test with a known secret, logging to a file."""
    with guarded_system(asys_base, testing.admin_port_for(asys_info), tmp_path / "admin.log") as system:
        yield system


def test_a_client_with_the_wrong_secret_cannot_attach_or_stop_the_system(guarded, asys_base):
    code = (
        "from actorcore.actors import ActorSystem\n"
        f"a = ActorSystem({asys_base!r}, {{'Admin Port': {guarded.port}, "
        "'Convention Secret': 'not the secret, but long enough'}, logDefs=False, transientUnique=True)\n"
        "a.shutdown()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "ActorSystemStartup" in out.stderr
    assert "authentication failed" in out.stderr
    assert serving(guarded)


def test_an_authenticated_client_cannot_send_as_another_process(guarded):
    """A client holding the secret still cannot put words in an actor's mouth."""
    from actorcore._core.runtime.wire import dumps

    collector = guarded.createActor(Collector)
    victim = guarded.createActor(Echo)
    details = collector.addressDetails
    guarded._base.transport.send(details, (details, victim.addressDetails, dumps("forged")))
    assert logged(guarded.logfile, "claims to come from")
    assert guarded.ask(collector, GET, WAIT) == []
    status = guarded.ask(guarded.systemAddress, Thespian_StatusReq(), WAIT)
    counters = status.miscKeyVals.get("transport") or {}
    if "dropped_sender" in counters:  # a transport that counts what it drops counted this one
        assert counters["dropped_sender"] >= 1
