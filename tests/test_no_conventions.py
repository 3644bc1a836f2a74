"""docs/api.md §2.8, §2.12, §2.13: convention calls and actorSystemShutdown."""
from __future__ import annotations

import time

from actorcore.actors import ActorSystemFailure

from .actors.basic import Echo
from .actors.system import Convener
from .helpers import WAIT


def test_registration_notifications_do_not_fail(asys):
    assert asys.ask(asys.createActor(Convener), "notify", WAIT) == "done"


def test_deregister_unknown_remote_has_no_effect(asys):
    a = asys.createActor(Convener)
    assert asys.ask(a, "deregister-unknown", WAIT) == "done"
    assert asys.ask(asys.createActor(Echo), "alive", WAIT) == "alive"


def test_preregister_unrecognisable_string_is_ignored(asys):
    a = asys.createActor(Convener)
    assert asys.ask(a, "preregister-garbage", WAIT) == "done"
    assert asys.ask(asys.createActor(Echo), "alive", WAIT) == "alive"


def test_actor_system_shutdown_from_an_actor(asys):
    echo = asys.createActor(Echo)
    a = asys.createActor(Convener)
    asys.tell(a, "shutdown")
    deadline = time.monotonic() + WAIT
    outcome = "still running"
    while time.monotonic() < deadline:
        try:
            if asys.ask(echo, "alive?", 0.5) is None:
                outcome = "silent"
                break
        except ActorSystemFailure:
            outcome = "failure"
            break
        time.sleep(0.1)
    assert outcome in ("silent", "failure")
