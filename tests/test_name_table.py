"""The convention leader's table of global names (runtime/convnames.py), on its
own: who gets a name, who waits, and what frees it (base-independent)."""
from __future__ import annotations

from actorcore._core.runtime.convnames import HOLD_LIMIT, NameTable

RESERVED = None  # the answer "the name is yours: create the actor"


def table():
    answers = []
    return NameTable(lambda sysid, name, actor: answers.append((sysid, name, actor))), answers


def test_asks_for_a_reserved_name_wait_and_all_get_the_one_actor():
    names, answers = table()
    names.ask("n", "A", 0.0)
    names.ask("n", "B", 0.0)
    names.ask("n", "C", 0.0)
    names.ask("n", "B", 0.0)  # asked again while waiting: still one wait
    assert answers == [("A", "n", RESERVED)]
    names.bind("n", "A/1", "H", "A")
    assert answers[1:] == [("B", "n", "A/1"), ("C", "n", "A/1")]
    names.ask("n", "D", 1.0)
    assert answers[-1] == ("D", "n", "A/1")


def test_a_given_back_reservation_goes_to_the_next_asker_only():
    names, answers = table()
    names.ask("n", "A", 0.0)
    names.ask("n", "B", 0.0)
    names.ask("n", "C", 0.0)
    names.release("n", None, "B", 0.0)  # not B's to give back
    assert len(answers) == 1
    names.release("n", None, "A", 0.0)  # A's create failed
    assert answers[1:] == [("B", "n", RESERVED)]
    names.bind("n", "B/1", "B", "B")
    assert answers[2:] == [("C", "n", "B/1")]


def test_an_exited_actor_frees_its_name_but_a_stale_release_does_not():
    names, answers = table()
    names.ask("n", "A", 0.0)
    names.bind("n", "A/1", "A", "A")
    names.release("n", "A/1", "H", 0.0)  # its host says it exited
    names.ask("n", "B", 0.0)
    assert answers[-1] == ("B", "n", RESERVED)
    names.bind("n", "B/1", "B", "B")
    names.release("n", "A/1", "A", 0.0)  # the old actor's origin says so late
    names.ask("n", "C", 0.0)
    assert answers[-1] == ("C", "n", "B/1")


def test_a_system_that_leaves_takes_its_names_reservations_and_asks():
    names, answers = table()
    names.ask("hosted", "A", 0.0)
    names.bind("hosted", "A/1", "G", "A")  # placed by A on G
    names.ask("routed", "A", 0.0)
    names.bind("routed", "G/7.1", "A", "A")  # an address G routes, whatever runs it
    names.ask("kept", "A", 0.0)
    names.bind("kept", "A/2", "A", "A")
    names.ask("pending", "G", 0.0)
    names.ask("pending", "B", 0.0)
    names.ask("other", "X", 0.0)
    names.ask("other", "G", 0.0)
    names.system_gone("G", 0.0)
    assert answers[-1] == ("B", "pending", RESERVED)  # G's reservation went to the one waiting
    told = len(answers)
    names.bind("other", "X/1", "X", "X")
    assert answers[told:] == []  # G waited for "other": it is not told any more
    for name in ("hosted", "routed"):
        names.ask(name, "C", 0.0)
        assert answers[-1] == ("C", name, RESERVED)
    names.ask("kept", "C", 0.0)
    assert answers[-1] == ("C", "kept", "A/2")


def test_a_reservation_never_reported_lapses_after_the_hold_limit():
    names, answers = table()
    names.ask("n", "A", 0.0)
    names.ask("n", "B", 0.0)
    names.expire(HOLD_LIMIT - 1)
    assert len(answers) == 1
    names.expire(HOLD_LIMIT + 1)
    assert answers[-1] == ("B", "n", RESERVED)


def test_an_owner_asking_again_gets_its_reservation_again():
    names, answers = table()
    names.ask("n", "A", 0.0)
    names.ask("n", "B", 0.0)
    names.ask("n", "A", 1.0)  # A lost our answer
    assert answers == [("A", "n", RESERVED), ("A", "n", RESERVED)]
    names.bind("n", "A/1", "A", "A")
    assert answers[-1] == ("B", "n", "A/1")


def test_a_second_actor_claimed_under_a_taken_name_is_refused_with_a_warning(caplog):
    names, answers = table()
    names.ask("n", "A", 0.0)
    names.bind("n", "A/1", "A", "A")
    names.bind("n", "B/1", "B", "B")  # made by B while it knew no leader
    assert "not found by it" in caplog.text
    names.ask("n", "C", 0.0)
    assert answers[-1] == ("C", "n", "A/1")
