"""A fault of the admin's own code in its loop (an exception nobody expected
while it waits for input, or while it routes one message) is logged with its
traceback and the admin goes on: the system is not lost with it. Shown on
the Queue base, which runs the multiprocess runtime's admin; the fault is
planted in this process before the admin is forked from it."""
from __future__ import annotations

import os
from pathlib import Path

from actorcore import testing
from actorcore._core.runtime.routing import Router
from actorcore._core.runtime.supervision import Supervisor
from tests.actors.basic import Echo

BASE = "multiprocQueueBase"
WAIT = 10.0


def _once(flag: Path) -> bool:
    """True the first time it is called after ``flag`` was made (which it removes)."""
    try:
        os.unlink(flag)
    except FileNotFoundError:
        return False
    return True


def _logged(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text()


def test_a_fault_while_the_admin_waits_for_input_is_logged_and_it_goes_on(tmp_path, monkeypatch):
    flag, log = tmp_path / "fault", tmp_path / "system.log"
    waitables = Supervisor.waitables

    def faulty(self):
        if _once(flag):
            raise RuntimeError("planted fault in the admin's loop")
        return waitables(self)

    monkeypatch.setattr(Supervisor, "waitables", faulty)
    with testing.running_system(BASE, logDefs=testing.log_to_file(log)) as asys:
        first = asys.createActor(Echo)
        assert asys.ask(first, 1, WAIT) == 1
        flag.touch()
        # the admin's loop runs once a second at the least: the fault comes
        assert testing.until(lambda: not flag.exists(), WAIT), "the planted fault never ran"
        assert testing.until(lambda: _logged(log, "planted fault in the admin's loop"), WAIT)
        assert "Traceback" in log.read_text()
        # a create goes through the admin: it is still there and serving
        second = asys.createActor(Echo)
        assert asys.ask(second, 2, WAIT) == 2


def test_a_fault_while_routing_one_message_loses_that_one_only_and_says_so(tmp_path, monkeypatch):
    flag, log = tmp_path / "fault", tmp_path / "system.log"
    route = Router.route

    def faulty(self, env, quiet=False):
        if b"route-me-badly" in bytes(env[2]) and _once(flag):
            raise RuntimeError("planted fault while routing")
        return route(self, env, quiet)

    monkeypatch.setattr(Router, "route", faulty)
    with testing.running_system(BASE, logDefs=testing.log_to_file(log)) as asys:
        echo = asys.createActor(Echo)
        flag.touch()
        # a new actor's first messages go through the admin (its direct pipe comes later)
        target = asys.createActor(Echo)
        asys.tell(target, "route-me-badly")
        assert testing.until(lambda: _logged(log, "planted fault while routing"), WAIT)
        assert not flag.exists()
        text = log.read_text()
        assert "it is lost" in text and "Traceback" in text
        # the admin goes on routing, and creating
        assert asys.ask(target, "after", WAIT) == "after"
        assert asys.ask(echo, 3, WAIT) == 3
        assert asys.ask(asys.createActor(Echo), 4, WAIT) == 4
