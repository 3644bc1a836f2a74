"""docs/api.md §4, §5.4: the delivery rules every base runs (actorcore._core.delivery).

The behaviour suite proves the rules on each base; these prove what it cannot
see: that drain()'s inlined plain delivery and ActorCell.deliver agree, that an
ActorExitRequest is known by isinstance on every base, and that a third-party
base which adopts the core's rules (tests/tinybase.py) gets all of them.
"""
from __future__ import annotations

from collections import deque

import pytest

from actorcore._core import plugins
from actorcore._core.delivery import ActorCell, drain
from actorcore.actors import (
    ActorAddress,
    ActorExitRequest,
    ActorSystem,
    PoisonMessage,
    Thespian_StatusReq,
    ThespianWatch,
    requireCapability,
)

from .actors.basic import Collector, DeadLetterCollector, ExitReporter
from .helpers import WAIT, collected
from .tinybase import NAME, TinyPlugin


class LastOrders(ActorExitRequest):
    """An exit request of the program's own kind."""


@requireCapability("gpu")
class GpuReporter(ExitReporter):
    """Runs only while the system has a truthy "gpu" capability."""


# -- an in-memory runtime for the unit tests -----------------------------------
class _Scripted:
    """receiveMessage raising for the first ``fails`` calls, then returning ``result``."""

    def __init__(self, fails: int, result: object) -> None:
        self.fails, self.result, self.calls = fails, result, 0

    def receiveMessage(self, msg: object, sender: object) -> object:
        self.calls += 1
        if self.calls <= self.fails:
            raise ValueError(f"attempt {self.calls}")
        return self.result


class _Cell(ActorCell):
    def __init__(self, actor: _Scripted, watch_ok: bool) -> None:
        super().__init__(ActorAddress("cell"), None, None)
        self.receive, self.cls, self.watch_ok = actor.receiveMessage, _Scripted, watch_ok
        self.replies: list[tuple[object, object]] = []

    def _reply(self, target: ActorAddress, msg: object) -> None:
        self.replies.append((target.addressDetails, msg))


def _outcome(cell: _Cell, actor: _Scripted) -> tuple:
    replies = [(t, type(m).__name__, getattr(m, "poisonMessage", m)) for t, m in cell.replies]
    return actor.calls, cell.received, cell.failed, list(cell.watch), replies


SCENARIOS = {
    "handled": (0, None, False),
    "fails once": (1, None, False),
    "fails twice": (2, None, False),
    "watch honoured": (0, ThespianWatch([5, -1, "x"]), True),
    "watch refused": (0, ThespianWatch([5]), False),
    "other result": (0, "ignored", True),
}


@pytest.mark.parametrize("fails, result, watch_ok", SCENARIOS.values(), ids=list(SCENARIOS))
def test_drain_and_deliver_apply_the_same_rules(fails, result, watch_ok):
    """drain() inlines deliver()'s plain case for speed: the two must not drift."""
    sender = ActorAddress("sender")
    direct_actor, drained_actor = _Scripted(fails, result), _Scripted(fails, result)
    direct, drained = _Cell(direct_actor, watch_ok), _Cell(drained_actor, watch_ok)
    direct.watch = drained.watch = [9]  # what a previous message asked for
    direct.deliver("msg", sender)
    queue = deque([(drained.address, "msg", sender)])
    assert drain(queue, {"cell": drained}, lambda *m: pytest.fail(f"not for a cell: {m}"))
    assert _outcome(drained, drained_actor) == _outcome(direct, direct_actor)
    calls, received, failed, watch, replies = _outcome(direct, direct_actor)
    assert (calls, received, failed) == (min(fails + 1, 2), 1, min(fails, 1))
    assert replies == ([("sender", "PoisonMessage", "msg")] if fails >= 2 else [])
    if result is not None:  # a watch is what the last result said (ThespianWatch or not)
        assert watch == ([5] if isinstance(result, ThespianWatch) and watch_ok else [])


def test_a_failing_poison_message_is_not_poisoned_again(caplog):
    actor = _Scripted(2, None)
    cell = _Cell(actor, False)
    cell.deliver(PoisonMessage("msg", "details"), ActorAddress("sender"))
    assert actor.calls == 2 and cell.replies == []
    assert "failed twice" in caplog.text


# -- on every base ----------------------------------------------------------------
def test_exit_request_subclass_ends_the_actor(asys):
    col = asys.createActor(Collector)
    reporter = asys.createActor(ExitReporter)
    assert asys.ask(reporter, ("report-to", col), WAIT) == "ok"
    dlc = asys.createActor(DeadLetterCollector)
    assert asys.ask(dlc, ("register",), WAIT) == "registered"
    asys.tell(reporter, LastOrders())
    assert ("exit", reporter) in collected(asys, col, lambda got: len(got) >= 1)
    asys.tell(reporter, "ping")  # a live ExitReporter would answer the program, not dead letters
    got = collected(asys, dlc, lambda got: any(d.deadMessage == "ping" for d in got))
    assert [d.deadAddress for d in got if d.deadMessage == "ping"] == [reporter]


# -- a third-party base running the core's rules -----------------------------------
def test_tiny_base_revalidates_running_actors_and_answers_status():
    plugins.register_plugin(TinyPlugin(), name="tests-tiny-base-rules")
    try:
        s = ActorSystem(NAME, capabilities={"gpu": True}, transientUnique=True, logDefs=False)
        try:
            col = s.createActor(Collector)
            gpu = s.createActor(GpuReporter)
            assert s.ask(gpu, ("report-to", col), WAIT) == "ok"
            status = s.ask(gpu, Thespian_StatusReq(), WAIT)
            assert status.actorAddress == gpu and not status.exiting
            s.updateCapability("gpu", None)
            assert s.ask(col, ("collector:get",), WAIT) == [("exit", gpu)]
        finally:
            s.shutdown()
    finally:
        plugins.unregister_plugin("tests-tiny-base-rules")
