"""The admin's settling of batches whose call failed (doubts.py): a batch the
host took is never also reported dead; one it never took always is."""
from __future__ import annotations

import threading
from typing import Any

from actorbase_ray import doubts

A, B, C = ("s", b"a"), ("s", b"b"), ("s", b"c")


class _Admin:
    def __init__(self) -> None:
        self.listed: set[str] = set()
        self.dead: list[tuple[str, list[Any]]] = []
        self.reported = threading.Event()

    def on_dead(self, target: str, items: list[Any]) -> None:
        self.dead.append((target, items))
        self.reported.set()

    def doubts(self) -> doubts.Doubts:
        return doubts.Doubts(self.on_dead, lambda me: me in self.listed)


def test_a_batch_the_host_took_is_not_reported_dead_only_what_waited_behind_it():
    admin = _Admin()
    d = admin.doubts()
    admin.listed.add("ns/a-1")
    d.report("ns/a-1", "tok", 3, [A], [B, C])
    assert admin.dead == []  # held until the host's word comes
    d.ended("ns/a-1", {"tok": 3})
    assert admin.dead == [("ns/a-1", [B, C])]


def test_a_batch_the_host_never_took_is_reported_dead_in_order():
    admin = _Admin()
    d = admin.doubts()
    admin.listed.add("ns/a-1")
    d.report("ns/a-1", "tok", 3, [A], [B])
    d.ended("ns/a-1", {"tok": 2, "other": 9})
    assert admin.dead == [("ns/a-1", [A, B])]


def test_a_report_after_the_hosts_word_is_settled_at_once():
    admin = _Admin()
    d = admin.doubts()
    d.ended("ns/a-1", {"tok": 1})
    d.report("ns/a-1", "tok", 1, [A], [])
    d.report("ns/a-1", "tok", 2, [B], [])
    assert admin.dead == [("ns/a-1", [B])]


def test_a_host_that_died_without_a_word_took_nothing():
    admin = _Admin()
    d = admin.doubts()
    admin.listed.add("ns/a-1")
    d.report("ns/a-1", "tok", 1, [A], [])
    d.ended("ns/a-1", None)
    assert admin.dead == [("ns/a-1", [A])]


def test_a_host_the_admin_does_not_list_gets_its_batch_reported_dead_at_once():
    admin = _Admin()
    d = admin.doubts()
    d.report("ns/a-9", "tok", 1, [A], [B])
    assert admin.dead == [("ns/a-9", [A, B])]


def test_a_report_whose_host_never_ends_is_reported_dead_after_the_hold(monkeypatch):
    monkeypatch.setattr(doubts, "HOLD", 0.05)
    admin = _Admin()
    d = admin.doubts()
    admin.listed.add("ns/a-1")
    d.report("ns/a-1", "tok", 1, [A], [])
    assert admin.reported.wait(5), "the held report was never settled"
    assert admin.dead == [("ns/a-1", [A])]
    d.ended("ns/a-1", {"tok": 1})  # too late: nothing is reported twice
    assert admin.dead == [("ns/a-1", [A])]


def test_old_words_are_forgotten(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(doubts.time, "monotonic", lambda: now[0])
    admin = _Admin()
    d = admin.doubts()
    d.ended("ns/a-1", {"tok": 1})
    now[0] += doubts.RETAIN + 1
    d.ended("ns/a-2", {"tok": 1})
    d.report("ns/a-1", "tok", 1, [A], [])  # its word is gone: no longer known to be taken
    d.report("ns/a-2", "tok", 1, [B], [])
    assert admin.dead == [("ns/a-1", [A])]
