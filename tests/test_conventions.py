"""Conventions on loopback (docs/api.md §6.5): several systems of one base on one
host, each with its own Admin Port, joined under a leader. Runs on every
installed base that declares the ``conventions`` feature."""
from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest

from actorcore import testing
from actorcore.actors import (
    ActorSystemStartupFailure,
    NoCompatibleSystemForActor,
    Thespian_StatusReq,
)
from actorcore.testing import descendants, until, wait_no_descendants

from . import conventions
from .actors.basic import Collector, Spawner
from .actors.conventions import (
    DbWorker,
    GpuLogger,
    GpuReporter,
    GpuWorker,
    NeedsUnicorn,
    ReportingSpawner,
    Where,
)
from .conventions import WAIT, admin_pid, knows_leader, members_heard, watcher
from .helpers import GET

systems = conventions.systems  # the fixture: systems started for a test, all shut down after it


def test_members_join_and_watchers_hear_them(systems):
    leader = systems.start({"role": "leader"})
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    m1 = systems.start({"gpu": True}, leader=port)
    m2 = systems.start({"db": True}, leader=port)
    heard = members_heard(leader, w, 2)
    joined = {details for details, added, _ in heard if added}
    assert joined == {m1.systemAddress.addressDetails, m2.systemAddress.addressDetails}
    caps = {details: c for details, _, c in heard}
    assert caps[m1.systemAddress.addressDetails]["gpu"] is True
    # a member knows its leader, and a late watcher hears the current set at once
    mw = watcher(m1)
    heard = members_heard(m1, mw, 1)
    assert heard[0][:2] == (leader.systemAddress.addressDetails, True)
    late = watcher(leader)
    assert len(members_heard(leader, late, 2)) == 2
    status = m1.ask(m1.systemAddress, Thespian_StatusReq(), WAIT)
    assert status.conventionLeader == leader.systemAddress


def test_create_is_placed_where_the_capabilities_fit(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    m1 = systems.start({"gpu": True}, leader=port)
    m2 = systems.start({"db": True}, leader=port)
    members_heard(leader, w, 2)
    gpu = leader.createActor(GpuWorker)
    db = leader.createActor(DbWorker)
    assert leader.ask(gpu, "where", WAIT) == admin_pid(m1)
    assert leader.ask(db, "where", WAIT) == admin_pid(m2)
    local = leader.createActor(Where)
    assert leader.ask(local, "where", WAIT) == admin_pid(leader)
    # an actor on one member talks to an actor on the other
    assert leader.ask(gpu, ("ping-via", db), WAIT) == ("pong", admin_pid(m2))
    # a member forwards what it cannot host (to its leader, which knows the other member)
    db_from_m1 = m1.createActor(DbWorker)
    assert m1.ask(db_from_m1, "where", WAIT) == admin_pid(m2)
    with pytest.raises(NoCompatibleSystemForActor):
        leader.createActor(NeedsUnicorn)
    with pytest.raises(NoCompatibleSystemForActor):
        m1.createActor(NeedsUnicorn)


def test_actor_created_child_placed_remotely_is_reported_when_its_member_dies(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    systems.start({"gpu": True}, leader=port)
    m2 = systems.start({"db": True}, leader=port)
    members_heard(leader, w, 2)
    parent = leader.createActor(Spawner)
    child = leader.ask(parent, ("spawn", DbWorker), WAIT)
    pid = admin_pid(m2)
    assert leader.ask(child, "where", WAIT) == pid
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    gone = m2.systemAddress.addressDetails
    until(lambda: (gone, False) in [h[:2] for h in leader.ask(w, "heard", WAIT)])
    noticed = time.monotonic() - started
    until(lambda: child.addressDetails in leader.ask(parent, "exited", WAIT))
    print(f"\n[convention] leader noticed a SIGKILLed member after {noticed * 1000:.0f} ms")
    systems.started.remove(m2)  # its admin is gone; nothing to shut down


def test_member_shutdown_deregisters(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    m1 = systems.start({"gpu": True}, leader=port)
    members_heard(leader, w, 1)
    m1.shutdown()
    heard = members_heard(leader, w, 2)
    assert heard[-1][:2] == (m1.systemAddress.addressDetails, False)


def test_capability_update_is_reannounced_and_revalidates(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    m1 = systems.start({"gpu": True}, leader=port)
    members_heard(leader, w, 1)
    gpu = leader.createActor(GpuWorker)
    assert leader.ask(gpu, "where", WAIT) == admin_pid(m1)
    m1.updateCapability("gpu", None)
    # the actor that no longer fits is asked to exit; the leader stops placing there
    until(lambda: leader.ask(gpu, "where", 0.5) is None)

    def refused():
        try:
            leader.createActor(GpuWorker)
        except NoCompatibleSystemForActor:
            return True
        return False
    until(refused)
    m1.updateCapability("gpu", True)
    until(lambda: not refused())


def test_member_started_before_its_leader_joins_when_the_leader_comes(systems):
    port = systems.free_port()
    m1 = systems.start({"gpu": True}, leader=port)
    leader = systems.start(port=port)
    w = watcher(leader)
    heard = members_heard(leader, w, 1)
    assert heard[0][:2] == (m1.systemAddress.addressDetails, True)


def test_preregistered_system_joins_and_deregisters(systems):
    leader = systems.start()
    w = watcher(leader)
    other = systems.start({"db": True})
    where = f"127.0.0.1:{other.capabilities['Admin Port']}"
    assert leader.ask(w, ("preregister", where, {"db": True}), WAIT) == "asked"
    heard = members_heard(leader, w, 1)
    assert heard[0][:2] == (other.systemAddress.addressDetails, True)
    db = leader.createActor(DbWorker)
    assert leader.ask(db, "where", WAIT) == admin_pid(other)
    assert leader.ask(w, ("deregister", where), WAIT) == "asked"
    heard = members_heard(leader, w, 2)
    assert heard[-1][:2] == (other.systemAddress.addressDetails, False)


def test_outbound_only_member_is_reached_over_its_own_connection(systems, asys_info):
    testing.require(asys_info, "outbound_only")
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    m1 = systems.start({"gpu": True, "Outbound Only": True}, leader=port)
    members_heard(leader, w, 1)
    gpu = leader.createActor(GpuWorker)
    assert leader.ask(gpu, "where", WAIT) == admin_pid(m1)
    assert leader.ask(gpu, "hello", WAIT) == "hello"


def test_three_members_share_the_work_by_fewest_placed(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    members = [systems.start({"gpu": True}, leader=port) for _ in range(2)]
    members_heard(leader, w, 2)
    pids = {leader.ask(leader.createActor(GpuWorker), "where", WAIT) for _ in range(4)}
    assert pids == {admin_pid(m) for m in members}


@pytest.mark.parametrize("value, text", [
    ("127.0.0.1:http", "port"),
    (("127.0.0.1", "1900"), "port"),
    (12, "not an address"),
])
def test_bad_convention_address_is_refused_clearly(systems, value, text):
    before = descendants()
    with pytest.raises((ValueError, ActorSystemStartupFailure), match=text):
        systems.start({"Convention Address.IPv4": value})
    assert not wait_no_descendants(before)


def test_a_leader_written_with_an_empty_host_is_this_host(systems):
    # Thespian's examples write a leader on the same host as ('', port)
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    m1 = systems.start({"gpu": True, "Convention Address.IPv4": ("", port)})
    m2 = systems.start({"db": True, "Convention Address.IPv4": f":{port}"})
    heard = members_heard(leader, w, 2)
    assert {d for d, added, _ in heard if added} == {
        m1.systemAddress.addressDetails, m2.systemAddress.addressDetails}
    assert m1.ask(m1.systemAddress, Thespian_StatusReq(), WAIT).conventionLeader == leader.systemAddress


def test_a_leader_naming_itself_with_an_empty_host_leads(systems):
    # the same ('', port) given to the leader itself: it leads, it is no member of itself
    port = systems.free_port()
    leader = systems.start({"Convention Address.IPv4": ("", port)}, port=port)
    w = watcher(leader)
    member = systems.start({"gpu": True, "Convention Address.IPv4": ("", port)})
    heard = members_heard(leader, w, 1)
    assert [h[:2] for h in heard] == [(member.systemAddress.addressDetails, True)]
    assert leader.ask(leader.systemAddress, Thespian_StatusReq(), WAIT).conventionLeader is None


def test_several_leaders_written_with_empty_hosts_are_all_joined(systems):
    first = systems.start()
    second = systems.start()
    w1, w2 = watcher(first), watcher(second)
    member = systems.start({"gpu": True, "Convention Address.IPv4": [
        ("", first.capabilities["Admin Port"]), ("", second.capabilities["Admin Port"])]})
    me = member.systemAddress.addressDetails
    assert members_heard(first, w1, 1)[0][:2] == (me, True)
    assert members_heard(second, w2, 1)[0][:2] == (me, True)


def test_members_warnings_reach_the_leaders_log(systems, tmp_path):
    log = tmp_path / "leader.log"
    logdefs = {
        "version": 1,
        "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(log), "formatter": "plain"}},
        "root": {"handlers": ["file"], "level": "DEBUG"},
    }
    leader = systems.start(logDefs=logdefs)
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    m1 = systems.start({"gpu": True}, leader=port)
    members_heard(leader, w, 1)
    talker = m1.createActor(GpuLogger)
    assert m1.ask(talker, ("log", logging.INFO, "routine detail"), WAIT) == "logged"
    assert m1.ask(talker, ("log", logging.WARNING, "member is unhappy"), WAIT) == "logged"
    until(lambda: log.exists() and "member is unhappy" in log.read_text())
    assert "routine detail" not in log.read_text()


def test_a_member_of_two_leaders_registers_with_both(systems):
    first = systems.start()
    second = systems.start()
    w1, w2 = watcher(first), watcher(second)
    member = systems.start(
        {"gpu": True, "Convention Address.IPv4": [("127.0.0.1", first.capabilities["Admin Port"]),
                                                  ("127.0.0.1", second.capabilities["Admin Port"])]}
    )
    me = member.systemAddress.addressDetails
    assert members_heard(first, w1, 1)[0][:2] == (me, True)
    assert members_heard(second, w2, 1)[0][:2] == (me, True)
    status = member.ask(member.systemAddress, Thespian_StatusReq(), WAIT)
    assert status.conventionLeader == first.systemAddress  # the first live one leads
    first.shutdown()
    systems.started.remove(first)
    until(lambda: member.ask(member.systemAddress, Thespian_StatusReq(), WAIT).conventionLeader
          == second.systemAddress)


def test_a_malformed_registration_is_refused_and_the_admin_keeps_serving(systems):
    from actorcore._core.runtime import protocol

    leader = systems.start()
    w = watcher(leader)
    bogus = protocol.ConventionRegister("Tbogus", "127.0.0.1:1", capabilities=["not", "a", "dict"])
    leader.tell(leader.systemAddress, bogus)
    leader.tell(leader.systemAddress, protocol.ConventionWelcome("Tx", "", None, None))
    member = systems.start({"gpu": True}, leader=leader.capabilities["Admin Port"])
    heard = members_heard(leader, w, 1)
    assert [h[:2] for h in heard] == [(member.systemAddress.addressDetails, True)]


def test_a_member_with_the_wrong_secret_is_refused_and_told_so(systems, asys_info, tmp_path):
    """docs/api.md §9.4: the member's log and the leader's say "authentication
    failed"; the leader's watchers hear only the members holding the secret."""
    testing.require(asys_info, "authenticated")
    leader_log, member_log = tmp_path / "leader.log", tmp_path / "member.log"
    leader = systems.start(logDefs=testing.log_to_file(leader_log))
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    systems.start({"Convention Secret": "not the convention's secret!"}, leader=port,
                  logDefs=testing.log_to_file(member_log))
    until(lambda: member_log.exists() and "authentication failed" in member_log.read_text())
    until(lambda: leader_log.exists() and "authentication failed" in leader_log.read_text())
    good = systems.start({"gpu": True}, leader=port)
    heard = members_heard(leader, w, 1)
    assert [h[0] for h in heard] == [good.systemAddress.addressDetails]


# -- conventions under churn (issue 11) ------------------------------------------


def test_a_named_actor_is_one_actor_across_the_convention(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    m1 = systems.start({"gpu": True}, leader=port)
    m2 = systems.start({"db": True}, leader=port)
    members_heard(leader, w, 2)
    knows_leader(m1)
    knows_leader(m2)
    stewart = m1.createActor(DbWorker, globalName="the stewart")  # placed on m2
    assert m1.ask(stewart, "where", WAIT) == admin_pid(m2)
    assert leader.createActor(DbWorker, globalName="the stewart") == stewart
    assert m2.createActor(DbWorker, globalName="the stewart") == stewart
    assert m1.createActor(DbWorker, globalName="the stewart") == stewart
    # and one created on the leader is the one a member gets
    butler = leader.createActor(Where, globalName="the butler")
    assert m2.createActor(Where, globalName="the butler") == butler
    assert m2.ask(butler, "where", WAIT) == admin_pid(leader)


def test_a_create_whose_only_capable_member_just_left_fails_at_once(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    gpu = systems.start({"gpu": True}, leader=port)
    other = systems.start({"db": True}, leader=port)
    members_heard(leader, w, 2)
    knows_leader(other)
    gpu.shutdown()
    systems.started.remove(gpu)
    with pytest.raises(NoCompatibleSystemForActor):
        leader.createActor(GpuWorker)
    with pytest.raises(NoCompatibleSystemForActor):
        other.createActor(GpuWorker)


def stalled_then_killed(systems, system):
    """Freeze ``system``'s admin now (it still looks alive) and kill it a moment
    later, so that whatever was sent to it meanwhile is never answered."""
    pid = admin_pid(system)
    systems.started.remove(system)
    os.kill(pid, signal.SIGSTOP)
    killer = threading.Timer(1.0, os.kill, (pid, signal.SIGKILL))
    killer.start()
    return killer


def test_a_create_sent_to_a_member_that_dies_fails_as_no_compatible_system(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    gpu = systems.start({"gpu": True}, leader=port)
    members_heard(leader, w, 1)
    killer = stalled_then_killed(systems, gpu)
    with pytest.raises(NoCompatibleSystemForActor, match="left the convention"):
        leader.createActor(GpuWorker)
    killer.join()


def test_a_create_passed_on_by_the_leader_to_a_member_that_dies_fails_at_its_origin(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    gpu = systems.start({"gpu": True}, leader=port)
    other = systems.start({"db": True}, leader=port)
    members_heard(leader, w, 2)
    knows_leader(other)
    killer = stalled_then_killed(systems, gpu)
    with pytest.raises(NoCompatibleSystemForActor, match="left the convention"):
        other.createActor(GpuWorker)  # other -> leader -> gpu
    killer.join()
    # an actor's create the same way ends in ChildActorExited
    parent = other.createActor(Spawner)
    child = other.ask(parent, ("spawn", GpuWorker), WAIT)
    until(lambda: child.addressDetails in other.ask(parent, "exited", WAIT))


def test_a_member_that_leaves_and_comes_back_is_announced_once_each_way(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    member_port = systems.free_port()
    first = systems.start({"gpu": True}, leader=port, port=member_port)
    members_heard(leader, w, 1)
    first.shutdown()
    systems.started.remove(first)
    members_heard(leader, w, 2)
    again = systems.start({"gpu": True}, leader=port, port=member_port)
    knows_leader(again)
    time.sleep(8 * 0.5)  # several check-in periods: room for any churn to show
    heard = [h[:2] for h in leader.ask(w, "heard", WAIT)]
    assert heard == [(first.systemAddress.addressDetails, True),
                     (first.systemAddress.addressDetails, False),
                     (again.systemAddress.addressDetails, True)]


def restart(systems, caps, **kw):
    """Start a system on a port a killed one held (None while its last
    processes still hold the port)."""
    try:
        return systems.start(caps, **kw)
    except ActorSystemStartupFailure:
        return None


def test_a_member_killed_and_restarted_on_its_port_is_announced_once_each_way(systems):
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    member_port = systems.free_port()
    first = systems.start({"gpu": True}, leader=port, port=member_port)
    members_heard(leader, w, 1)
    os.kill(admin_pid(first), signal.SIGKILL)
    systems.started.remove(first)
    again = until(lambda: restart(systems, {"gpu": True}, leader=port, port=member_port))
    members_heard(leader, w, 3)
    time.sleep(8 * 0.5)  # several check-in periods: room for any churn to show
    heard = [h[:2] for h in leader.ask(w, "heard", WAIT)]
    old, new = first.systemAddress.addressDetails, again.systemAddress.addressDetails
    assert sorted(heard) == sorted([(old, True), (old, False), (new, True)])


def test_with_two_leaders_a_create_only_the_lost_one_could_host_fails_until_it_returns(systems):
    first_port = systems.free_port()
    first = systems.start({"unicorn": True}, port=first_port)
    second = systems.start()
    w1, w2 = watcher(first), watcher(second)
    member = systems.start({"Convention Address.IPv4": [
        ("127.0.0.1", first_port), ("127.0.0.1", second.capabilities["Admin Port"])]})
    me = member.systemAddress.addressDetails
    members_heard(first, w1, 1)
    members_heard(second, w2, 1)
    parent = member.createActor(Spawner)
    child = member.ask(parent, ("spawn", NeedsUnicorn), WAIT)
    assert member.ask(child, "where", WAIT) == admin_pid(first)
    first.shutdown()
    systems.started.remove(first)
    until(lambda: member.ask(member.systemAddress, Thespian_StatusReq(), WAIT).conventionLeader
          == second.systemAddress)
    # as Thespian: the parent gets an address at once, then ChildActorExited for it
    lost = member.ask(parent, ("spawn", NeedsUnicorn), WAIT)
    until(lambda: lost.addressDetails in member.ask(parent, "exited", WAIT))
    assert member.ask(lost, "where", 1) is None  # nothing answers at that address
    with pytest.raises(NoCompatibleSystemForActor):
        member.createActor(NeedsUnicorn)
    # the leader comes back on its address: the member registers again and uses it
    back = until(lambda: restart(systems, {"unicorn": True}, port=first_port))
    until(lambda: member.ask(member.systemAddress, Thespian_StatusReq(), WAIT).conventionLeader
          == back.systemAddress)
    # Seeing the leader again and its placement taking creates are two steps
    # that may land apart under load: a create between them fails (the parent
    # hears ChildActorExited) and the next one is placed on the leader.
    def placed_on_back():
        again = member.ask(parent, ("spawn", NeedsUnicorn), WAIT)
        return member.ask(again, "where", WAIT) == admin_pid(back)

    until(placed_on_back, limit=WAIT * 4)
    assert me in [h[0] for h in members_heard(back, watcher(back), 1)]


# -- shutting down inside a convention (Thespian's multi_system example, acts 5 and 6) --------


def hosted_child(systems, collector_on):
    """A leader, a gpu member, and on the leader a parent whose child lives on
    the member; both report to a Collector on ``collector_on`` ("leader" or
    "member"). Returns (leader, member, collector, parent, child)."""
    leader = systems.start()
    w = watcher(leader)
    member = systems.start({"gpu": True}, leader=leader.capabilities["Admin Port"])
    members_heard(leader, w, 1)
    home = leader if collector_on == "leader" else member
    col = home.createActor(Collector)
    parent = leader.createActor(ReportingSpawner)
    child = leader.ask(parent, ("spawn", GpuReporter, col), WAIT)
    assert leader.ask(child, "where", WAIT) == admin_pid(member)
    return leader, member, col, parent, child


def test_a_member_shutting_down_asks_the_actors_it_hosts_for_others_to_exit(systems):
    """docs/api.md §3.2: every actor of a stopping system gets ActorExitRequest from
    it, also one another system's actor created there (act 5: stop.py of a
    member whose encoders the leader's Acceptor created)."""
    leader, member, col, parent, child = hosted_child(systems, "leader")
    member_address = member.systemAddress
    systems.started.remove(member)
    member.shutdown()
    got = until(lambda: ("child-exited", child) in (got := leader.ask(col, GET, WAIT)) and got)
    # asked by its system (not SIGTERMed when its grace ran out: then it asks itself)
    assert ("exit-request", child, member_address) in got, got


def test_a_leader_shutting_down_takes_its_actors_children_on_members_along(systems):
    """docs/api.md §3.2, §4.1: a stopping system's actors exit recursively, children
    on other members included; each parent hears its children exit before it
    goes (act 5: stop.py of the leader whose Acceptor has encoders on members)."""
    leader, member, col, parent, child = hosted_child(systems, "member")
    systems.started.remove(leader)
    leader.shutdown()
    got = until(lambda: ("child-exited", child) in (got := member.ask(col, GET, WAIT)) and got)
    assert ("exit-request", child, parent) in got, got
    assert got.index(("parent-exit", parent)) < got.index(("child-exited", child)), got
    assert member.ask(child, "where", 1) is None  # gone from the member too
