"""docs/api.md §2.3, §4.4: ThespianWatch is honoured only where supported."""
from __future__ import annotations

from actorcore import testing

from .actors.system import PipeWatcher
from .helpers import WAIT, poll


def test_watch_honoured_or_ignored(asys, asys_info):
    watches = testing.declared(asys_info, "watches")
    assert asys.capabilities["Thespian Watch Supported"] is watches
    a = asys.createActor(PipeWatcher)
    assert asys.ask(a, "setup", WAIT) == "watching"
    if watches:
        fd, ready = poll(asys, a, "ready?", lambda r: len(r[1]) >= 1)
        assert ready and fd in ready[0]
    else:
        asys.listen(0.3)
        fd, ready = asys.ask(a, "ready?", WAIT)
        assert ready == [], "a base without watch support delivered WatchMessage"
    assert asys.ask(a, "ping", WAIT) == "pong"
