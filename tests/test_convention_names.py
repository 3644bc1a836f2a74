"""Issue 11 (a): a globalName is unique across a convention. The leader keeps
the convention's names; members ask it before they create a named actor
(docs/conventions.md, "Named actors"). Runs on every base with conventions."""
from __future__ import annotations

from actorcore import testing
from actorcore.actors import ActorExitRequest
from actorcore.testing import until

from . import conventions
from .actors.conventions import DbWorker, Where
from .conventions import WAIT, admin_pid, knows_leader, members_heard, watcher
from .helpers import at_once

systems = conventions.systems  # the fixture: systems started for a test, all shut down after it


def convention(systems, *member_caps):
    """A leader and members with these capabilities, each member knowing its leader."""
    leader = systems.start()
    port = leader.capabilities["Admin Port"]
    w = watcher(leader)
    members = [systems.start(caps, leader=port) for caps in member_caps]
    members_heard(leader, w, len(members))
    for member in members:
        knows_leader(member)
    return leader, members


def test_concurrent_creates_of_one_name_from_two_members_give_one_actor(systems):
    leader, (m1, m2) = convention(systems, {"gpu": True}, {"db": True})
    for round_ in range(5):
        name = f"race {round_}"

        def create(system, name=name):
            with system.private() as ctx:
                return ctx.createActor(Where, globalName=name)

        from_m1, from_m2 = at_once(lambda: create(m1), lambda: create(m2))
        assert from_m1 == from_m2, name
        # that one actor runs on one of them, and the leader knows it by the name too
        assert leader.ask(from_m1, "where", WAIT) in (admin_pid(m1), admin_pid(m2))
        assert leader.createActor(Where, globalName=name) == from_m1


def test_a_named_actor_that_exits_frees_its_name_across_the_convention(systems):
    leader, (m1, m2) = convention(systems, {"gpu": True}, {"db": True})
    # placed by m1 on m2 (m1 knows it as a remote actor, m2 hosts it)
    porter = m1.createActor(DbWorker, globalName="porter")
    assert m1.ask(porter, "where", WAIT) == admin_pid(m2)
    assert leader.createActor(DbWorker, globalName="porter") == porter
    m1.tell(porter, ActorExitRequest())
    again = until(lambda: (a := leader.createActor(DbWorker, globalName="porter")) != porter and a)
    assert leader.ask(again, "where", WAIT) == admin_pid(m2)
    assert leader.ask(porter, "where", 1) is None  # the first one is gone, not renamed
    assert m1.createActor(DbWorker, globalName="porter") == again
    assert m2.createActor(DbWorker, globalName="porter") == again
    # created and hosted by a member; the next create, through another member, makes a new one
    maid = m2.createActor(Where, globalName="maid")
    assert m1.createActor(Where, globalName="maid") == maid
    m2.tell(maid, ActorExitRequest())
    fresh = until(lambda: (a := m1.createActor(Where, globalName="maid")) != maid and a)
    assert m1.ask(fresh, "where", WAIT) == admin_pid(m1)
    assert m2.createActor(Where, globalName="maid") == fresh


def test_a_member_that_leaves_takes_its_names_with_it(systems):
    leader, (m1, m2) = convention(systems, {"gpu": True}, {"db": True})
    cellar = m1.createActor(DbWorker, globalName="cellar")  # placed on m2
    assert m1.ask(cellar, "where", WAIT) == admin_pid(m2)
    pantry = m2.createActor(Where, globalName="pantry")  # made on m2 itself
    assert leader.createActor(Where, globalName="pantry") == pantry
    m3 = systems.start({"db": True}, leader=leader.capabilities["Admin Port"])
    knows_leader(m3)
    m2.shutdown()
    systems.started.remove(m2)
    # m1 placed "cellar" on m2: it makes a new one (on m3, the db member left) once it hears m2 is gone
    new_cellar = until(lambda: (a := m1.createActor(DbWorker, globalName="cellar")) != cellar and a)
    assert m1.ask(new_cellar, "where", WAIT) == admin_pid(m3)
    assert leader.createActor(DbWorker, globalName="cellar") == new_cellar
    assert m3.createActor(DbWorker, globalName="cellar") == new_cellar
    new_pantry = leader.createActor(Where, globalName="pantry")
    assert new_pantry != pantry
    assert leader.ask(new_pantry, "where", WAIT) == admin_pid(leader)
    assert m1.createActor(Where, globalName="pantry") == new_pantry


def test_a_named_actor_placed_on_another_member_knows_its_name(systems):
    _leader, (m1, _m2) = convention(systems, {"gpu": True}, {"db": True})
    steward = m1.createActor(DbWorker, globalName="steward")
    assert m1.ask(steward, "name?", WAIT) == ("name", "steward")


def test_names_a_member_made_before_its_leader_came_are_told_to_the_leader(systems, tmp_path):
    log = tmp_path / "member.log"
    port = systems.free_port()
    member = systems.start({"gpu": True}, leader=port, logDefs=testing.log_to_file(log))
    early = member.createActor(Where, globalName="early bird")
    assert member.createActor(Where, globalName="early bird") == early
    until(lambda: log.exists() and "no live leader to keep globalName" in log.read_text())
    leader = systems.start(port=port)
    members_heard(leader, watcher(leader), 1)
    knows_leader(member)
    assert until(lambda: leader.createActor(Where, globalName="early bird") == early)
    assert leader.ask(early, "where", WAIT) == admin_pid(member)
