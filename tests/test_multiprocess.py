"""What only multiprocess bases can show: isolation, copies, crashes, admin death,
and that nothing is left behind. Durations are printed (-s) for the record,
never asserted."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from actorcore.actors import (
    ActorExitRequest,
    ActorSystem,
    ActorSystemFailure,
    InvalidActorSpecification,
    PoisonMessage,
    Thespian_StatusReq,
)
from actorcore.testing import capabilities_for as caps_for
from actorcore.testing import descendants, wait_no_descendants

from .actors.basic import DeadLetterCollector, Mutator
from .actors.failures import SendsUnpicklable
from .actors.processes import Doomed, Family, Sleeper, Supervisor
from .helpers import GET

WAIT = 10
pytestmark = pytest.mark.multiprocess_only("needs actors in their own processes")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (ProcessLookupError, FileNotFoundError):  # reaped between the two looks
        return False


def _dead_messages(asys, dlh) -> list:
    return [envelope.deadMessage for envelope in asys.ask(dlh, GET, WAIT)]


def _wait_dead(pids, limit=WAIT):
    deadline = time.monotonic() + limit
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_blocking_actor_does_not_stop_another(asys):
    slow = asys.createActor(Sleeper)
    quick = asys.createActor(Sleeper)
    asys.tell(slow, ("sleep", 5))
    assert asys.ask(quick, "still here", WAIT) == "still here"


def test_the_receiver_gets_a_copy(asys):
    m = asys.createActor(Mutator)
    sent = ["original"]
    got = asys.ask(m, sent, WAIT)
    assert got == ["original", "mutated"]
    assert sent == ["original"]


def test_unpicklable_message_from_outside_comes_back_as_poison(asys):
    target = asys.createActor(Sleeper)
    reply = asys.ask(target, threading.Lock(), WAIT)
    assert isinstance(reply, PoisonMessage)
    assert "pickle" in (reply.details or "")
    assert asys.ask(target, "fine", WAIT) == "fine"


def test_unpicklable_message_from_an_actor_comes_back_to_it(asys):
    a = asys.createActor(SendsUnpicklable)
    assert asys.ask(a, ("go", None), WAIT) == ("poison", True)  # the lock it sent, back to it


@pytest.mark.parametrize("how", ["exit", "kill", "segfault"])
def test_parent_hears_of_a_child_that_dies(asys, how, capsys):
    sup = asys.createActor(Supervisor)
    child, pid = asys.ask(sup, ("spawn",), WAIT)
    asys.tell(sup, "watch")
    started = time.time()
    asys.tell(sup, ("tell", how))
    reply = asys.ask(sup, "watch", WAIT)
    while reply is not None and reply[:1] != ("exited",):
        reply = asys.ask(sup, "watch", WAIT)
    assert reply is not None and reply[:2] == ("exited", True)
    with capsys.disabled():
        print(f"\n[{how}] ChildActorExited after {(reply[2] - started) * 1000:.1f} ms")
    assert _wait_dead([pid])


@pytest.mark.requires("recovers_unread", reason="what a killed process had received dies with it; "
                                                 "later sends are dead letters (tested below)")
def test_sigkill_from_outside_is_noticed_and_queued_messages_become_dead_letters(asys, capsys):
    dlh = asys.createActor(DeadLetterCollector)
    assert asys.ask(dlh, ("register",), WAIT) == "registered"
    sup = asys.createActor(Supervisor)
    child, pid = asys.ask(sup, ("spawn",), WAIT)
    asys.tell(child, "block")  # the child is busy: what follows stays queued
    for i in range(3):
        asys.tell(child, f"queued-{i}")
    time.sleep(0.2)
    started = time.time()
    os.kill(pid, signal.SIGKILL)
    reply = asys.ask(sup, "watch", WAIT)
    assert reply is not None and reply[:2] == ("exited", True)
    with capsys.disabled():
        print(f"\n[SIGKILL] ChildActorExited after {(reply[2] - started) * 1000:.1f} ms")
    deadline = time.monotonic() + WAIT
    got = []
    while time.monotonic() < deadline:
        got = _dead_messages(asys, dlh)
        if len([g for g in got if str(g).startswith("queued-")]) == 3:
            break
        time.sleep(0.05)
    assert sorted(g for g in got if str(g).startswith("queued-")) == ["queued-0", "queued-1", "queued-2"]
    asys.tell(child, "after-death")
    deadline = time.monotonic() + WAIT
    while "after-death" not in got and time.monotonic() < deadline:
        got = _dead_messages(asys, dlh)
    assert "after-death" in got


def test_children_of_an_actor_killed_abruptly_are_stopped(asys):
    fam = asys.createActor(Family)
    pids = asys.ask(fam, ("children", 3), WAIT)
    assert pids is not None and len(pids) == 4
    os.kill(pids[0], signal.SIGKILL)
    assert _wait_dead(pids)


def test_actors_exit_by_themselves_when_the_admin_is_killed(asys_base, asys_info, capsys):
    before = descendants()
    system = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=False,
                         transientUnique=True)
    try:
        fam = system.createActor(Family)
        pids = system.ask(fam, ("children", 3), WAIT)
        status = system.ask(system.systemAddress, Thespian_StatusReq(), WAIT)
        admin_pid = status.miscKeyVals["pid"]
        started = time.monotonic()
        os.kill(admin_pid, signal.SIGKILL)
        assert _wait_dead(pids)
        with capsys.disabled():
            print(f"\n[admin SIGKILL] all actors gone after {(time.monotonic() - started) * 1000:.0f} ms")
        with pytest.raises(ActorSystemFailure, match="admin process"):
            system.ask(fam, "anything", 1)
        with pytest.raises(ActorSystemFailure, match="admin process"):
            system.createActor(Sleeper)
    finally:
        system.shutdown()
        system.shutdown()  # harmless twice, even after the admin died
    assert not wait_no_descendants(before)


def test_shutdown_from_two_threads_at_once(asys_base, asys_info):
    before = descendants()
    system = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=False,
                         transientUnique=True)
    for _ in range(3):
        system.createActor(Sleeper)
    errors = []

    def stop():
        try:
            system.shutdown()
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=stop) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert not any(t.is_alive() for t in threads)
    assert not (descendants() - before)
    with pytest.raises(ActorSystemFailure):
        system.tell(system.systemAddress, "late")


def test_shutdown_stops_a_busy_actor(asys_base, asys_info):
    before = descendants()
    system = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=False,
                         transientUnique=True)
    slow = system.createActor(Doomed)
    system.tell(slow, "block")  # sleeps 60 s and never reads its exit request
    time.sleep(0.2)
    system.shutdown()
    assert not (descendants() - before)


def test_exit_request_ends_the_process(asys):
    d = asys.createActor(Doomed)
    pid = asys.ask(d, "pid", WAIT)
    asys.tell(d, ActorExitRequest())
    assert _wait_dead([pid])


def test_local_class_cannot_be_created_and_says_why(asys):
    from actorcore.actors import Actor

    class Local(Actor):
        def receiveMessage(self, message, sender):
            pass

    with pytest.raises((InvalidActorSpecification, ImportError)):
        asys.createActor(Local)
    assert asys.ask(asys.createActor(Sleeper), "ok", WAIT) == "ok"


def test_main_module_class_is_refused_with_a_clear_error(asys):
    from actorcore.actors import Actor

    cls = type("InMain", (Actor,), {"receiveMessage": lambda self, m, s: None})
    cls.__module__ = "__main__"
    with pytest.raises(InvalidActorSpecification, match="__main__"):
        asys.createActor(cls)


def test_spawn_start_method_works(asys_base, asys_info):
    caps = caps_for(asys_info)
    caps["Process Startup Method"] = "spawn"
    before = descendants()
    system = ActorSystem(asys_base, capabilities=caps, logDefs=False, transientUnique=True)
    try:
        s = system.createActor(Sleeper)
        assert system.ask(s, "spawned", WAIT) == "spawned"
        with pytest.raises((InvalidActorSpecification, ImportError)):
            system.createActor("tests.no_such_module.Nothing")
    finally:
        system.shutdown()
    assert not (descendants() - before)


def test_unknown_start_method_is_refused(asys_base, asys_info):
    caps = caps_for(asys_info)
    caps["Process Startup Method"] = "teleport"
    with pytest.raises(ActorSystemFailure, match="teleport"):
        ActorSystem(asys_base, capabilities=caps, logDefs=False, transientUnique=True)


def test_killed_top_level_actor_is_gone_and_messages_to_it_are_dead_letters(asys):
    dlh = asys.createActor(DeadLetterCollector)
    assert asys.ask(dlh, ("register",), WAIT) == "registered"
    d = asys.createActor(Doomed)
    pid = asys.ask(d, "pid", WAIT)
    os.kill(pid, signal.SIGKILL)
    assert _wait_dead([pid])
    deadline = time.monotonic() + WAIT
    got = []
    while time.monotonic() < deadline:
        asys.tell(d, "hello?")
        got = _dead_messages(asys, dlh)
        if "hello?" in got:
            break
        time.sleep(0.05)
    assert "hello?" in got


def test_singleton_after_the_admin_was_killed_says_so_and_recovers(asys_base, asys_info):
    before = descendants()
    caps = caps_for(asys_info)
    system = ActorSystem(asys_base, capabilities=caps, logDefs=False)
    try:
        status = system.ask(system.systemAddress, Thespian_StatusReq(), WAIT)
        os.kill(status.miscKeyVals["pid"], signal.SIGKILL)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:  # until the handle notices the admin is gone
            try:
                system.tell(system.systemAddress, "still there?")
            except ActorSystemFailure:
                break
            time.sleep(0.02)
        with pytest.raises(ActorSystemFailure, match="shutdown"):
            ActorSystem()
        system.shutdown()
        fresh = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=False)
        try:
            assert fresh.ask(fresh.createActor(Sleeper), "again", WAIT) == "again"
        finally:
            fresh.shutdown()
    finally:
        system.shutdown()
    assert not wait_no_descendants(before)
