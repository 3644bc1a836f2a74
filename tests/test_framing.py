"""The stream framing shared by the queue and TCP transports (base-independent)."""
from __future__ import annotations

import pytest

from actorcore._core.runtime import framing


def test_frames_round_trip_and_partial_frames_wait():
    one, two = framing.encode("t1", "s1", b"a" * 10), framing.encode("t2", "s2", b"b")
    buf = bytearray(one + two[:5])
    assert framing.split(buf) == [("t1", "s1", b"a" * 10)]
    buf += two[5:]
    assert framing.split(buf) == [("t2", "s2", b"b")]
    assert not buf


@pytest.mark.parametrize("damage", [b"\xff\xff\x00\x00", b"\x00\x01\xff\xff"])
def test_a_bad_frame_does_not_pin_the_buffer(damage):
    """The buffer can be cleared while the FrameError is being handled (a queue
    admin once died of BufferError here)."""
    buf = bytearray(framing.encode("a", "b", b"xyz"))
    buf[4:8] = damage  # address lengths that overrun the frame
    with pytest.raises(framing.FrameError):
        try:
            framing.split(buf)
        except framing.FrameError:
            buf.clear()  # raised BufferError while a slice of buf was still alive
            raise
    assert not buf


def test_a_length_over_the_limit_is_refused_before_buffering():
    buf = bytearray((1 << 30).to_bytes(4, "big") + b"rest")
    with pytest.raises(framing.FrameError, match="over the"):
        framing.split(buf, limit=1024)


def test_ask_requests_and_replies_round_trip_in_their_short_form():
    import pickle

    from actorcore._core.addresses import ActorAddress
    from actorcore._core.asyncactor import AskReply, AskRequest
    from actorcore._core.runtime.wire import dumps, loads

    big = b"x" * 200_000  # past the size where a view replaces the copy
    for msg in (
        AskReply(1, "answer"), AskReply(2, big), AskReply(3, None, "it failed"),
        AskRequest(4, {"k": [1, 2]}, ()), AskRequest(5, big, ()),
        AskRequest(6, "hi", (ActorAddress("a"), ActorAddress("b"))),
        ("a", "plain", "tuple"), b"", 0,
    ):
        data = dumps(msg)
        assert loads(data) == msg
        # only the short forms leave the pickle format; the rest stay plain pickles
        short = msg.__class__ in (AskReply, AskRequest) and not getattr(msg, "chain", ()) \
            and getattr(msg, "failure", None) is None
        assert (data[0] != 0x80) == short
        if not short:
            assert pickle.loads(data) == msg
