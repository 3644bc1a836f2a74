"""API.md §3.2, §5.6: shutdown stops every actor; no process outlives it."""
from __future__ import annotations

import os
import time

import pytest

from actorcore.actors import ActorSystem
from actorcore.testing import test_capabilities as caps_for

from .actors import Collector, Echo
from .helpers import WAIT
from .test_exit import KeepingParent


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_no_actor_process_outlives_shutdown(asys_base, asys_info):
    if not asys_info.multiprocess:
        pytest.skip("in-process bases start no processes")
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
    if asys_info.multiprocess:
        pid = asys.ask(asys.createActor(Echo), ("pid?",), WAIT)
        assert pid != os.getpid()
    else:
        assert asys.ask(asys.createActor(Echo), ("pid?",), WAIT) == os.getpid()
