"""docs/api.md §3.2, §5.6: shutdown stops every actor; no process outlives it."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from actorcore import testing
from actorcore._core.runtime.procs import pid_alive
from actorcore.actors import ActorSystem, Thespian_StatusReq
from actorcore.testing import capabilities_for as caps_for
from actorcore.testing import descendants, until, wait_no_descendants

from .actors.basic import Collector, Echo
from .actors.exits import KeepingParent
from .helpers import WAIT


def _gone(pid: int) -> bool:
    return not pid_alive(pid)


@pytest.mark.requires("multiprocess", reason="in-process bases start no processes")
def test_no_actor_process_outlives_shutdown(asys_base, asys_info):
    if not hasattr(os, "kill") or not os.path.isdir("/proc"):
        pytest.skip("needs POSIX /proc to inspect processes")
    s = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=False,
                    transientUnique=True)
    pids = []
    try:
        col = s.createActor(Collector)
        parent = s.createActor(KeepingParent)
        kids = s.ask(parent, ("spawn", 2, col), WAIT)
        for a in [s.createActor(Echo), s.createActor(Echo, globalName="g")]:
            pids.append(s.ask(a, ("pid?",), WAIT))
        assert len(kids) == 2
        assert all(isinstance(p, int) for p in pids)
        assert os.getpid() not in pids
    finally:
        s.shutdown()
    deadline = time.monotonic() + 1.0  # shutdown must already have waited; allow reaping
    while time.monotonic() < deadline and not all(_gone(p) for p in pids):
        time.sleep(0.05)
    assert all(_gone(p) for p in pids), [p for p in pids if not _gone(p)]


def test_actors_run_where_the_base_says(asys, asys_info):
    # the asys fixture itself: a system per installed base, alive during the test
    assert asys.ask(asys.createActor(Echo), "up", WAIT) == "up"
    if testing.declared(asys_info, "multiprocess"):
        pid = asys.ask(asys.createActor(Echo), ("pid?",), WAIT)
        assert pid != os.getpid()
    else:
        assert asys.ask(asys.createActor(Echo), ("pid?",), WAIT) == os.getpid()


#: shutdown normally takes well under a second; this bound fails the 5 s that a
#: UDP admin spent waiting for acknowledgements from a program that had left
SHUTDOWN_BOUND = 3.0

_STARTER = """
import sys
from actorcore.actors import ActorSystem
from tests.actors.basic import Echo
caps = {caps!r}
asys = ActorSystem({base!r}, caps, logDefs=False)
e = asys.createActor(Echo)
assert asys.ask(e, "hi", 10) == "hi"
print(asys.ask(asys.systemAddress, __import__("actorcore.actors").actors.Thespian_StatusReq(), 10)
      .miscKeyVals["pid"])
"""


def _timed_shutdown(system) -> float:
    start = time.monotonic()
    system.shutdown()
    return time.monotonic() - start


@pytest.mark.requires("shared", "admin_port")
def test_shutdown_of_a_system_another_program_started_and_left(asys_base, asys_info):
    """A program starts a shared system, uses it and exits; another attaches
    and shuts it down: promptly, and nothing of it is left."""
    before = descendants()
    caps = caps_for(asys_info)
    done = subprocess.run([sys.executable, "-c", _STARTER.format(caps=caps, base=asys_base)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    admin_pid = int(done.stdout.split()[-1])
    s = ActorSystem(asys_base, {"Admin Port": caps["Admin Port"]}, logDefs=False, transientUnique=True)
    try:
        assert s.ask(s.createActor(Echo), "again", WAIT) == "again"
    finally:
        took = _timed_shutdown(s)
    assert took < SHUTDOWN_BOUND, f"shutdown took {took:.1f} s"
    assert _gone(admin_pid)
    assert not wait_no_descendants(before), "processes left after shutdown"


@pytest.mark.requires("conventions")
def test_shutdown_of_a_convention_member(asys_base, asys_info):
    """A member leaves its convention promptly, whether or not it hosts
    actors, and nothing of it is left."""
    before = descendants()
    leader = ActorSystem(asys_base, caps_for(asys_info), logDefs=False, transientUnique=True)
    try:
        for hosting in (False, True):
            caps = {**caps_for(asys_info), "Convention Address.IPv4":
                    ("127.0.0.1", leader.capabilities["Admin Port"])}
            member = ActorSystem(asys_base, caps, logDefs=False, transientUnique=True)
            try:
                until(lambda m=member: m.ask(m.systemAddress, Thespian_StatusReq(), WAIT)
                      .conventionLeader is not None)
                if hosting:
                    assert member.ask(member.createActor(Echo), "here", WAIT) == "here"
            finally:
                took = _timed_shutdown(member)
            assert took < SHUTDOWN_BOUND, f"shutdown of a member (hosting: {hosting}) took {took:.1f} s"
    finally:
        leader.shutdown()
    assert not wait_no_descendants(before), "processes left after shutdown"
