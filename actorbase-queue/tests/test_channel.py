"""Channel's writer: a frame goes straight into the pipe whenever the pipe has
room for it, and waits for the flusher thread only when it has not."""
from __future__ import annotations

import fcntl
import os
import time

from actorbase_queue.channel import Channel


def _envelope(n: int, size: int = 40) -> tuple[str, str, bytes]:
    return ("target", "sender", bytes([n % 256]) * size)


def _drain(ch: Channel) -> list[tuple[str, str, bytes]]:
    got: list[tuple[str, str, bytes]] = []
    while True:
        more = ch.read_ready()
        if not more:
            return got
        got.extend((t, s, bytes(d)) for t, s, d in more)


def test_frames_behind_unread_ones_are_written_at_once_while_the_pipe_has_room():
    # The pipe's fill level is read with ioctl(FIONREAD), a native int: read in
    # the wrong byte order, any unread byte looked like a full pipe, and every
    # frame behind it took the flusher thread (half the Queue base's fan-out).
    ch = Channel()
    try:
        os.set_blocking(ch.rfd, False)
        sent = [_envelope(n) for n in range(20)]
        for env in sent:
            ch.put(env)
        assert ch._out._flusher is None, "a frame waited for the flusher though the pipe had room"
        assert ch.backlog() == 0
        assert _drain(ch) == sent
    finally:
        ch.close()


def test_a_frame_that_does_not_fit_waits_for_the_flusher_and_order_is_kept():
    ch = Channel()
    try:
        os.set_blocking(ch.rfd, False)
        capacity = fcntl.fcntl(ch.wfd, 1032)  # F_GETPIPE_SZ
        size = 1000
        count = capacity // size + 5  # more than the pipe holds: put must not block
        sent = [_envelope(n, size) for n in range(count)]
        for env in sent:
            ch.put(env)
        assert ch._out._flusher is not None
        got: list[tuple[str, str, bytes]] = []
        deadline = time.monotonic() + 30
        while len(got) < count:  # the flusher writes as we read
            assert time.monotonic() < deadline, f"only {len(got)} of {count} frames arrived"
            got.extend(_drain(ch))
        assert got == sent
        assert ch.flush(10.0)
    finally:
        ch.close()
