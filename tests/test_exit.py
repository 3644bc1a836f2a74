"""docs/api.md §4.1, §4.2, §5.6: ActorExitRequest and ChildActorExited."""
from __future__ import annotations

import os
import signal
import time

import pytest

from actorcore._core.runtime.procs import pid_alive
from actorcore.actors import ActorExitRequest, ChildActorExited
from actorcore.testing import until

from .actors.basic import Collector, DeadLetterCollector, Echo, ExitReporter
from .actors.exits import (
    CreatesWhileExiting,
    ExitRaises,
    ForwardingParent,
    Grandparent,
    KeepingParent,
    NoterParent,
    Parent,
)
from .actors.names import Requester
from .helpers import GET, WAIT, collected, settle


def _exited_addresses(got, tag):
    return [m[1] for m in got if isinstance(m, tuple) and m[0] == tag]


def test_actor_sees_exit_request(asys):
    col = asys.createActor(Collector)
    a = asys.createActor(ExitReporter)
    assert asys.ask(a, ("report-to", col), WAIT) == "ok"
    asys.tell(a, ActorExitRequest())
    got = collected(asys, col, lambda g: len(g) >= 1)
    assert got == [("exit", a)]


def test_exited_actor_no_longer_answers(asys):
    a = asys.createActor(Echo)
    assert asys.ask(a, "x", WAIT) == "x"
    asys.tell(a, ActorExitRequest())
    assert asys.ask(a, "x", 1) is None


def test_recursive_exit_takes_children(asys):
    col = asys.createActor(Collector)
    parent = asys.createActor(Parent)
    kids = asys.ask(parent, ("spawn", 2, col), WAIT)
    assert len(kids) == 2
    asys.tell(parent, ActorExitRequest())
    got = collected(asys, col, lambda g: len(_exited_addresses(g, "parent-saw-child-exit")) >= 2)
    assert ("parent-exit", True) in got
    kid_exits = _exited_addresses(got, "exit")
    seen = _exited_addresses(got, "parent-saw-child-exit")
    for k in kids:
        assert any(k == x for x in kid_exits), "child did not get ActorExitRequest"
        assert any(k == x for x in seen), "parent did not get ChildActorExited for a child"
    for k in kids:
        assert asys.ask(k, "ping", 1) is None


def test_not_recursive_leaves_children_alive(asys):
    col = asys.createActor(Collector)
    parent = asys.createActor(KeepingParent)
    kids = asys.ask(parent, ("spawn", 2, col), WAIT)
    asys.tell(parent, ActorExitRequest())
    got = collected(asys, col, lambda g: ("parent-exit", True) in g)
    assert ("parent-exit", True) in got
    for k in kids:
        assert asys.ask(k, "ping", WAIT) == "pong"
    settle(asys)
    got = asys.ask(col, GET, WAIT)
    assert not _exited_addresses(got, "exit"), "children were asked to exit"


def test_exit_request_with_recursive_false(asys):
    col = asys.createActor(Collector)
    parent = asys.createActor(Parent)
    kids = asys.ask(parent, ("spawn", 1, col), WAIT)
    asys.tell(parent, ActorExitRequest(recursive=False))
    got = collected(asys, col, lambda g: any(m[0] == "parent-exit" for m in g))
    assert ("parent-exit", False) in got
    assert asys.ask(kids[0], "ping", WAIT) == "pong"


def test_messages_to_exited_actor_are_dead_letters(asys, asys_base):
    dlh = asys.createActor(DeadLetterCollector)
    assert asys.ask(dlh, ("register",), WAIT) == "registered"
    a = asys.createActor(Echo)
    asys.tell(a, ActorExitRequest())
    settle(asys, 0.2)
    asys.tell(a, "lost")
    got = collected(asys, dlh, lambda g: len(g) >= 1)
    assert [e.deadMessage for e in got] == ["lost"]
    assert got[0].deadAddress == a


def test_exception_handling_exit_request_not_retried_and_actor_exits(asys):
    col = asys.createActor(Collector)
    a = asys.createActor(ExitRaises)
    assert asys.ask(a, ("report-to", col), WAIT) == "ok"
    asys.tell(a, ActorExitRequest())
    got = collected(asys, col, lambda g: len(g) >= 1)
    settle(asys)
    got = asys.ask(col, GET, WAIT)
    assert got == ["exit-attempt"], "exit request was retried"
    assert asys.ask(a, "ping", 1) is None, "actor survived a failing exit handler"


def test_top_level_exit_notifies_no_actor(asys):
    """A top-level actor's parent is the system: an actor that asked it to exit
    gets no ChildActorExited."""
    watcher = asys.createActor(Collector)
    target = asys.createActor(Echo)
    asys.tell(watcher, "before")

    req = asys.createActor(Requester)
    assert asys.ask(req, ("kill", target, watcher), WAIT) == "sent"
    settle(asys)
    got = asys.ask(watcher, GET, WAIT)
    assert not any(isinstance(m, ChildActorExited) for m in got)
    assert asys.ask(target, "x", 1) is None


def test_create_during_exit_never_starts(asys):
    col = asys.createActor(Collector)
    a = asys.createActor(CreatesWhileExiting)
    assert asys.ask(a, ("report-to", col), WAIT) == "ok"
    asys.tell(a, ActorExitRequest())
    got = collected(asys, col, lambda g: len(g) >= 1)
    tag, child = got[0]
    assert tag == "late-child"
    assert asys.ask(child, "hello?", 1) is None


def test_exit_request_to_system_address_is_ignored(asys):
    e = asys.createActor(Echo)
    asys.tell(asys.systemAddress, ActorExitRequest())
    assert asys.ask(e, "alive", WAIT) == "alive"
    assert asys.ask(asys.createActor(Echo), "new", WAIT) == "new"


def test_bogus_child_actor_exited_does_not_crash_receiver(asys):
    e = asys.createActor(Echo)
    for bogus in (None, "not-an-address", e):
        asys.tell(e, ChildActorExited(bogus))
    assert asys.ask(e, "alive", WAIT) == "alive"


def test_second_exit_request_is_harmless(asys):
    col = asys.createActor(Collector)
    a = asys.createActor(ExitReporter)
    assert asys.ask(a, ("report-to", col), WAIT) == "ok"
    asys.tell(a, ActorExitRequest())
    asys.tell(a, ActorExitRequest())
    collected(asys, col, lambda g: len(g) >= 1)
    settle(asys)
    assert asys.ask(col, GET, WAIT) == [("exit", a)]


def test_exiting_actor_gets_only_exit_related_messages(asys):
    col = asys.createActor(Collector)
    p = asys.createActor(ForwardingParent)
    kids = asys.ask(p, ("spawn", 2, col), WAIT)
    collected(asys, col, lambda g: g.count(("other", "ok")) >= 2)
    asys.tell(p, ActorExitRequest())
    got = collected(asys, col, lambda g: sum(1 for m in g if m[0] == "child-exited") >= 2)
    after = got[got.index("parent-exit"):]
    assert not any(m[0] == "other" for m in after[1:]), after
    assert sum(1 for m in after if m[0] == "child-exited") == len(kids)


@pytest.mark.multiprocess_only("SIGTERM to an actor needs the actor in a process of its own")
def test_sigterm_exits_at_once_without_handling_waiting_messages(asys):
    """``kill <pid>`` of an actor: it handles nothing sent after the signal
    (Thespian exits at once), and its parent hears it exited."""
    col = asys.createActor(Collector)
    parent = asys.createActor(NoterParent)
    [kid] = asys.ask(parent, ("spawn", 1, col), WAIT)
    pid = asys.ask(kid, ("pid?",), WAIT)
    assert isinstance(pid, int) and pid != os.getpid()
    time.sleep(0.3)  # the actor waits for its next message now (a signal does not end that wait)
    os.kill(pid, signal.SIGTERM)
    for n in range(10):
        asys.tell(kid, ("note", n))
    got = collected(asys, col, lambda g: ("parent-saw-child-exit", kid) in g)
    until(lambda: not pid_alive(pid), WAIT)
    got = asys.ask(col, GET, WAIT)
    assert [m for m in got if m[0] == "noted"] == [], got
    assert ("exit", kid) in got  # it left as an actor does: its ActorExitRequest ran


@pytest.mark.multiprocess_only("SIGTERM to an actor needs the actor in a process of its own")
def test_sigterm_ends_an_exiting_actors_wait_for_its_children(asys):
    """An actor that is exiting and waits for a child that does not answer
    (stopped here; on another system that has gone, in Thespian's
    multi_system act 5) exits when it gets SIGTERM, as the admin sends when
    a shutdown's grace runs out; its parent hears it exited."""
    col = asys.createActor(Collector)
    grandparent = asys.createActor(Grandparent)
    [parent] = asys.ask(grandparent, ("spawn", 1, col), WAIT)
    [kid] = asys.ask(parent, ("spawn", 1, col), WAIT)
    parent_pid = asys.ask(parent, ("pid?",), WAIT)
    kid_pid = asys.ask(kid, ("pid?",), WAIT)
    assert isinstance(parent_pid, int) and isinstance(kid_pid, int)
    os.kill(kid_pid, signal.SIGSTOP)
    try:
        asys.tell(parent, ActorExitRequest())
        collected(asys, col, lambda g: ("parent-exit", True) in g)
        time.sleep(0.3)  # the parent waits for its child's exit now
        os.kill(parent_pid, signal.SIGTERM)
        got = collected(asys, col, lambda g: ("parent-saw-child-exit", parent) in g)
        assert ("parent-saw-child-exit", parent) in got, got
        assert ("parent-saw-child-exit", kid) not in got, got  # it stopped waiting for it
        until(lambda: not pid_alive(parent_pid), WAIT)
    finally:
        os.kill(kid_pid, signal.SIGCONT)
    # the orphan: what its parent sent it while it was stopped may be gone with
    # the parent (UDP: the parent's unacknowledged datagrams), so ask again
    asys.tell(kid, ActorExitRequest())
    until(lambda: not pid_alive(kid_pid), WAIT)
