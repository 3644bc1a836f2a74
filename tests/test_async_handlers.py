"""docs/api.md §9.3, docs/asyncio.md: async handlers on every base.

One message at a time while a handler is suspended, in order (wakeups and
ChildActorExited included); other actors go on; an exit request cancels the
suspended handler and is then delivered; failures follow §5.4.
"""
from __future__ import annotations

import time

from actorcore.actors import (
    ActorExitRequest,
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_StatusReq,
)

from .actors.asyncs import LOG, AsyncFails, Cancellable, HoldsWhileSuspended, Mixed, Recorder, Stuck
from .actors.basic import Collector, Echo
from .helpers import WAIT, at_once, collected, poll


def test_messages_are_handled_in_order_one_at_a_time(asys):
    a = asys.createActor(Recorder)
    for tag, delay in (("A", 0.2), ("B", 0.0), ("C", 0.1), ("D", 0.0)):
        asys.tell(a, ("work", tag, delay))
    log, most = poll(asys, a, LOG, lambda r: len(r[0]) >= 4)
    assert log == ["A", "B", "C", "D"]
    assert most == 1, "two handlers of one actor ran at once"


def test_wakeups_own_messages_and_child_exits_wait_for_the_handler(asys):
    a = asys.createActor(HoldsWhileSuspended)
    assert asys.ask(a, "go", WAIT) == "went"
    log = poll(asys, a, LOG, lambda r: len(r) >= 4)
    assert log[0] == "handler done"
    assert sorted(log[1:]) == ["child exited", "mine", "wakeup"]


def test_other_actors_run_while_a_handler_is_suspended(asys):
    stuck = asys.createActor(Cancellable)
    col = asys.createActor(Collector)
    assert asys.ask(stuck, ("wait", col), WAIT) == "waiting"
    other = asys.createActor(Echo)
    assert asys.ask(other, "hello", WAIT) == "hello"
    status = asys.ask(stuck, Thespian_StatusReq(), WAIT)  # answered by the runtime, not the handler
    assert isinstance(status, Thespian_ActorStatus)
    assert status.miscKeyVals["suspended"] is True


def test_exit_request_cancels_the_suspended_handler_then_is_delivered(asys):
    a = asys.createActor(Cancellable)
    col = asys.createActor(Collector)
    assert asys.ask(a, ("wait", col), WAIT) == "waiting"
    asys.tell(a, ActorExitRequest())
    assert collected(asys, col, lambda g: len(g) >= 2) == ["cancelled", "exit request"]
    assert asys.ask(a, "probe", 1) is None  # gone


def test_a_handler_that_never_returns_does_not_stop_exit_or_shutdown(asys):
    a = asys.createActor(Stuck)
    assert asys.ask(a, "hang", WAIT) == "hanging"
    asys.tell(a, ActorExitRequest())
    # alive, the runtime answers a status request even while the handler hangs; gone, nobody does
    deadline = time.monotonic() + WAIT
    while asys.ask(a, Thespian_StatusReq(), 1) is not None:
        assert time.monotonic() < deadline, "the exit request did not end an actor whose handler hangs"
    b = asys.createActor(Stuck)
    assert asys.ask(b, "hang", WAIT) == "hanging"
    at_once(asys.shutdown)  # with b still hanging: fails if the shutdown does not return


def test_async_handler_failing_twice_returns_poison(asys):
    a = asys.createActor(AsyncFails)
    reply = asys.ask(a, "boom", WAIT)
    assert isinstance(reply, PoisonMessage)
    assert reply.poisonMessage == "boom"
    assert "async boom" in reply.details
    assert asys.ask(a, "count?", WAIT) == 2


def test_plain_and_async_handlers_mix_on_a_dispatcher(asys):
    a = asys.createActor(Mixed)
    assert asys.ask(a, 41, WAIT) == ("int", 42)
    assert asys.ask(a, "x", WAIT) == ("async str", "x")
    assert asys.ask(a, "super", WAIT) == ("base str", "super")
    assert asys.ask(a, 1.5, WAIT) == ("float", 1.5)
