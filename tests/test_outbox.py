"""Outbox (actorcore.plugin): order kept behind a slow reader, and the group
that lets a transport with many outboxes count its backlog without a sum
over all of them."""
from __future__ import annotations

import threading
import time

import pytest

from actorcore.plugin import Outbox


class _Reader:
    """A destination that takes nothing until opened, then everything."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.writing = threading.Event()  # the flusher is in a write
        self.got: list[bytes] = []
        self.fail = False

    def try_write(self, frame: bytes) -> int:
        if not self.open.is_set():
            return 0
        self.got.append(frame)
        return len(frame)

    def write_all(self, frame: bytes) -> None:
        self.writing.set()
        if not self.open.wait(30):
            raise AssertionError("the test never opened the reader")
        if self.fail:
            raise BrokenPipeError("reader gone")
        self.got.append(frame)


def _outbox(reader: _Reader, group: set[Outbox] | None = None) -> Outbox:
    box = Outbox(reader.try_write, reader.write_all, "test-outbox")
    if group is not None:
        box.join(group)
    return box


def test_frames_go_straight_out_and_never_enter_the_group():
    group: set[Outbox] = set()
    r = _Reader()
    r.open.set()
    box = _outbox(r, group)
    for n in range(5):
        box.put(bytes([n]))
    assert r.got == [bytes([n]) for n in range(5)]
    assert group == set() and Outbox.waiting_in(group) == 0


def test_a_waiting_outbox_is_counted_in_its_group_until_it_drains():
    group: set[Outbox] = set()
    slow, fast = _Reader(), _Reader()
    fast.open.set()
    a, b = _outbox(slow, group), _outbox(fast, group)
    for n in range(3):
        a.put(bytes([n]))
        b.put(bytes([n]))
    assert group == {a}
    assert Outbox.waiting_in(group) == 3 == a.backlog()
    slow.open.set()
    assert a.flush(30)
    assert group == set() and Outbox.waiting_in(group) == 0
    assert b"".join(slow.got) == bytes([0, 1, 2])  # in order


def test_joining_a_group_counts_what_already_waits():
    r = _Reader()
    box = _outbox(r)
    box.put(b"x")
    group: set[Outbox] = set()
    box.join(group)
    assert Outbox.waiting_in(group) == 1
    r.open.set()
    assert box.flush(30)
    assert Outbox.waiting_in(group) == 0


@pytest.mark.parametrize("how", ["take", "close", "broken"])
def test_an_outbox_that_will_never_drain_leaves_the_group(how):
    """Frames taken back (dead letters), an outbox closed, or its reader gone:
    they must not hold up the sender's other sends as backlog forever."""
    group: set[Outbox] = set()
    r = _Reader()
    box = _outbox(r, group)
    box.put(b"a")
    box.put(b"b")
    assert Outbox.waiting_in(group) == 2
    if how == "take":
        assert box.take() == [b"a", b"b"]
    elif how == "close":
        box.close()
    else:
        r.fail = True
        r.open.set()
        assert box.flush(30)  # returns once broken
        assert box.broken
    assert group == set() and Outbox.waiting_in(group) == 0
    r.fail = True  # let the flusher thread, still blocked in a write, end
    r.open.set()


class _CountingReader(_Reader):
    """Records each write the flusher makes, not just the bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write_all(self, frame: bytes) -> None:
        super().write_all(frame)
        self.writes.append(bytes(frame))


def test_small_frames_waiting_for_a_slow_reader_go_out_in_one_write_in_order():
    r = _CountingReader()
    box = _outbox(r)
    frames = [b"frame-%03d;" % n for n in range(50)]
    for f in frames:
        box.put(f)
    r.open.set()
    assert box.flush(30)
    assert b"".join(r.writes) == b"".join(frames)
    # the flusher may have taken the first frame before the rest were queued
    assert len(r.writes) <= 2, f"{len(r.writes)} writes for 50 small waiting frames"


def test_a_large_frame_is_written_alone_and_never_joined():
    from actorcore._core.runtime.outbox import BATCH_ALONE

    r = _CountingReader()
    box = _outbox(r)
    big = b"B" * BATCH_ALONE
    for f in (b"a", b"b", big, b"c", b"d"):
        box.put(f)
    r.open.set()
    assert box.flush(30)
    assert big in r.writes  # as a write of its own
    assert b"".join(r.writes) == b"ab" + big + b"cd"


def test_take_during_a_write_does_not_break_the_flusher(monkeypatch):
    """take() (the reader is gone: dead letters) while the flusher is in a
    write: the flusher must end quietly, not fail on frames no longer queued."""
    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    r = _CountingReader()
    box = _outbox(r)
    box.put(b"one")
    box.put(b"two")
    assert r.writing.wait(30)
    assert box.take() == [b"one", b"two"]
    r.open.set()  # the flusher's write (of frames already taken) completes
    deadline = time.monotonic() + 30
    while box._flusher is not None and box._flusher.is_alive():
        assert time.monotonic() < deadline, "the flusher never ended after take()"
        time.sleep(0.01)
    assert failures == []
    assert box.backlog() == 0
