"""docs/api.md §1.3: ``actorcore.troupe`` — one address, a pool of workers."""
from __future__ import annotations

import os
import re
import time

import pytest

from actorcore.actors import Actor, PoisonMessage
from actorcore.initmsgs import initializing_messages
from actorcore.testing import until
from actorcore.troupe import UpdateTroupeSettings, troupe

from .actors.basic import Collector
from .actors.decorated import (
    Feeder,
    FragileWorker,
    JobWorker,
    ShrinkingWorker,
    SlowWorker,
    SteppingWorker,
    Tally,
)
from .helpers import WAIT, collected, most_at_once, settle


def _status(asys, trp) -> dict[str, int]:
    reply = asys.ask(trp, "troupe:status?", WAIT)
    assert isinstance(reply, str), reply
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", reply)}


def test_troupe_of_ten_runs_a_thousand_jobs_each_exactly_once(asys, asys_base, asys_info):
    trp = asys.createActor(JobWorker)
    tally = asys.createActor(Tally)
    feeder = asys.createActor(Feeder)
    jobs = [("job", n, tally) for n in range(1000)]
    started = time.monotonic()
    assert asys.ask(feeder, ("feed", trp, jobs), WAIT) == "fed"
    reports, times, who = until(
        lambda: (r := asys.ask(tally, "tally?", WAIT)) and len(r[1]) == 1000 and r, limit=60
    )
    elapsed = time.monotonic() - started
    settle(asys, 0.2)  # a job run twice would report again
    reports, times, who = asys.ask(tally, "tally?", WAIT)
    assert sorted(times) == list(range(1000))
    assert reports == 1000 and set(times.values()) == {1}
    assert 1 <= len(who) <= 10
    if asys_info.multiprocess:
        print(
            f"\n[troupe] {asys_base}: 1000 jobs through a troupe of 10 in {elapsed:.3f} s "
            f"({len(who)} workers used)"
        )


@pytest.mark.multiprocess_only("counts worker processes")
def test_troupe_never_runs_more_than_max_count_workers_at_once(asys):
    trp = asys.createActor(SlowWorker)  # max_count=3
    col = asys.createActor(Collector)
    feeder = asys.createActor(Feeder)
    assert asys.ask(feeder, ("feed", trp, [("work", 0.05, col)] * 12), WAIT) == "fed"
    got = collected(asys, col, lambda g: sum(1 for e in g if e[0] == "end") == 12)
    most = most_at_once(got)
    pids = {who[0] for _what, who in got}
    assert len(pids) == 3, f"the troupe should grow to its max_count of 3: {pids}"
    assert most <= 3
    assert os.getpid() not in pids
    status = _status(asys, trp)
    assert status["workers"] == 3 and status["max_count"] == 3


def test_troupe_grows_to_max_count_and_no_further_on_every_base(asys):
    trp = asys.createActor(SlowWorker)  # max_count=3, idle_count=3: none leave
    col = asys.createActor(Collector)
    feeder = asys.createActor(Feeder)
    assert asys.ask(feeder, ("feed", trp, [("work", 0.01, col)] * 9), WAIT) == "fed"
    got = collected(asys, col, lambda g: sum(1 for e in g if e[0] == "end") == 9)
    workers = {who for _what, who in got}
    assert len(workers) == 3
    assert _status(asys, trp)["workers"] == 3


def test_troupe_dismisses_idle_workers_beyond_idle_count(asys):
    trp = asys.createActor(ShrinkingWorker)  # max_count=4, idle_count=1, dismiss_after=0.2
    col = asys.createActor(Collector)
    feeder = asys.createActor(Feeder)
    assert asys.ask(feeder, ("feed", trp, [("work", 0.05, col)] * 8), WAIT) == "fed"
    got = collected(asys, col, lambda g: sum(1 for e in g if e[0] == "exit") >= 3)
    used = {who for what, who in got if what == "done"}
    assert len(used) == 4, f"the troupe should have grown to 4 workers: {used}"
    settle(asys, 0.6)  # three dismissal periods: the one kept must stay
    got = collected(asys, col, lambda g: True)
    gone = [who for what, who in got if what == "exit"]
    assert len(gone) == 3 and set(gone) < used
    # A worker reports its exit before the manager hears it has gone.
    until(lambda: (st := _status(asys, trp))["workers"] == 1 and st["idle"] == 1, limit=WAIT)


def test_troupe_job_that_raises_comes_back_as_poison_and_the_troupe_goes_on(asys):
    trp = asys.createActor(FragileWorker)  # max_count=1: a lost worker slot would stall it
    bad = asys.ask(trp, ("job", "bad"), WAIT)
    assert isinstance(bad, PoisonMessage)
    assert bad.poisonMessage == ("job", "bad")
    assert "this job always fails" in (bad.details or "")
    answers = [asys.ask(trp, ("job", n), WAIT) for n in range(3)]
    assert [a[:2] for a in answers] == [("ok", 0), ("ok", 1), ("ok", 2)]
    assert len({a[2] for a in answers}) == 1
    # The worker answers before it reports itself free: wait for the report.
    status = until(lambda: (st := _status(asys, trp))["busy"] == 0 and st, limit=WAIT)
    assert status["workers"] == 1


def test_troupe_work_in_progress_defers_the_next_job(asys):
    trp = asys.createActor(SteppingWorker)  # max_count=1
    col = asys.createActor(Collector)
    feeder = asys.createActor(Feeder)
    assert asys.ask(feeder, ("feed", trp, [("job", 1, col), ("job", 2, col)]), WAIT) == "fed"
    got = collected(asys, col, lambda g: len(g) >= 4)
    assert got == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]


def test_troupe_settings_controls(asys):
    trp = asys.createActor(SlowWorker)  # max_count=3, idle_count=3
    assert asys.ask(trp, "troupe:set_max_count=2", WAIT) == "Set troupe max_count to 2"
    assert asys.ask(trp, "troupe:set_idle_count=1", WAIT) == "Set troupe idle_count to 1"
    refused = asys.ask(trp, "troupe:set_max_count=zero", WAIT)
    assert isinstance(refused, str) and "max_count left at 2" in refused
    refused = asys.ask(trp, "troupe:set_max_count=0", WAIT)
    assert isinstance(refused, str) and "max_count left at 2" in refused
    assert asys.ask(trp, UpdateTroupeSettings(), WAIT) == UpdateTroupeSettings(2, 1)
    assert asys.ask(trp, UpdateTroupeSettings(idle_count=2), WAIT) == UpdateTroupeSettings(2, 2)
    col = asys.createActor(Collector)
    feeder = asys.createActor(Feeder)
    assert asys.ask(feeder, ("feed", trp, [("work", 0.02, col)] * 6), WAIT) == "fed"
    got = collected(asys, col, lambda g: sum(1 for e in g if e[0] == "end") == 6)
    assert len({who for _what, who in got}) == 2
    status = _status(asys, trp)
    assert (status["max_count"], status["idle_count"], status["workers"]) == (2, 2, 2)
    # Lowered below the idle workers it has, it sheds them before the next job.
    assert asys.ask(trp, "troupe:set_max_count=1", WAIT) == "Set troupe max_count to 1"
    col2 = asys.createActor(Collector)
    assert asys.ask(feeder, ("feed", trp, [("work", 0.02, col2)] * 4), WAIT) == "fed"
    got = collected(asys, col2, lambda g: sum(1 for e in g if e[0] == "end") == 4)
    assert len({who for _what, who in got}) == 1
    until(lambda: _status(asys, trp)["workers"] == 1, limit=WAIT)


def test_troupe_refuses_bad_arguments():
    with pytest.raises(ValueError, match="max_count"):
        troupe(max_count=0)
    with pytest.raises(ValueError, match="idle_count"):
        troupe(idle_count=-1)
    with pytest.raises(TypeError, match="parentheses"):

        @troupe
        class NoParens(Actor):
            pass

    with pytest.raises(TypeError, match="Actor subclass"):
        troupe()(object)
    with pytest.raises(ValueError):
        UpdateTroupeSettings(max_count=0)


def test_troupe_and_initializing_messages_do_not_combine():
    with pytest.raises(TypeError, match="cannot be both"):

        @troupe()
        @initializing_messages([("peer", str)])
        class Both(Actor):
            pass

    with pytest.raises(TypeError, match="cannot be both"):

        @initializing_messages([("peer", str)])
        @troupe()
        class BothAgain(Actor):
            pass
