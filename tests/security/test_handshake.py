"""The handshake state machine and the frame MAC (actorcore._core.handshake), alone:
no sockets, so every refusal can be driven exactly."""
from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorcore._core import handshake as hs
from actorcore._core.handshake import AuthenticationFailed, Handshake, HandshakeError
from actorcore._core.runtime import framing

KEY = os.urandom(32)
CTX = b"test"


def pair(key_i: bytes = KEY, key_r: bytes = KEY) -> tuple[Handshake, Handshake]:
    return Handshake(key_i, True, CTX), Handshake(key_r, False, CTX)


def run(i: Handshake, r: Handshake) -> None:
    challenge = r.receive(i.start())
    proof = i.receive(challenge)
    assert r.receive(proof) is None


def test_both_sides_complete_with_the_same_key_and_seal_for_each_other():
    i, r = pair()
    run(i, r)
    assert i.done and r.done
    (i_seal, i_open), (r_seal, r_open) = i.sealers(), r.sealers()
    for n in range(3):
        body = b"frame %d" % n
        assert r_open.check(i_seal.seal(body), body)
        assert i_open.check(r_seal.seal(body), body)


def test_the_initiator_refuses_a_responder_without_the_secret_before_sending_anything_else():
    i, r = pair(key_r=os.urandom(32))
    challenge = r.receive(i.start())
    with pytest.raises(AuthenticationFailed, match="authentication failed") as err:
        i.receive(challenge)
    assert err.value.reply is not None and b"authentication failed" in err.value.reply
    assert not i.done


def test_the_responder_refuses_an_initiator_without_the_secret():
    i, r = pair()
    challenge = r.receive(i.start())
    nonce_r = challenge[5:5 + hs.NONCE_BYTES]
    transcript = hs.MAGIC + bytes((len(CTX),)) + CTX + b"\0" * 32 + nonce_r
    forged = hs.MAGIC + bytes((hs.PROOF,)) + hmac.digest(os.urandom(32), b"initiator\0" + transcript, hashlib.sha256)
    with pytest.raises(AuthenticationFailed):
        r.receive(forged)
    assert not r.done


def test_a_reflected_responder_tag_is_not_an_initiator_proof():
    i, r = pair()
    challenge = r.receive(i.start())
    reflected = hs.MAGIC + bytes((hs.PROOF,)) + challenge[5 + hs.NONCE_BYTES:]
    with pytest.raises(AuthenticationFailed):
        r.receive(reflected)


def test_a_recorded_handshake_does_not_complete_against_a_fresh_responder():
    i, r = pair()
    hello = i.start()
    proof = i.receive(r.receive(hello))
    r2 = Handshake(KEY, False, CTX)
    r2.receive(hello)  # a fresh nonce of its own
    with pytest.raises(AuthenticationFailed):
        r2.receive(proof)


def test_a_refusal_from_the_peer_is_reported_as_authentication_failed():
    i, r = pair(key_r=os.urandom(32))
    challenge = r.receive(i.start())
    with pytest.raises(AuthenticationFailed) as err:
        i.receive(challenge)
    with pytest.raises(AuthenticationFailed, match="the peer refused us"):
        r.receive(err.value.reply)


def test_another_protocol_context_is_refused():
    i = Handshake(KEY, True, b"udp")
    r = Handshake(KEY, False, b"tcp")
    with pytest.raises(HandshakeError, match="expected"):
        r.receive(i.start())


def test_messages_out_of_turn_are_refused():
    i, r = pair()
    with pytest.raises(HandshakeError):
        i.receive(b"ACH1\x02" + b"\0" * 64)  # before its hello
    hello = i.start()
    with pytest.raises(HandshakeError):
        r.receive(b"ACH1\x03" + b"\0" * 32)  # a proof before the hello
    run(*pair())
    with pytest.raises(RuntimeError):
        Handshake(KEY, False, CTX).start()
    i2, r2 = pair()
    run(i2, r2)
    with pytest.raises(HandshakeError, match="after the handshake"):
        r2.receive(hello)


def test_sealers_are_not_given_before_the_handshake_completes():
    with pytest.raises(RuntimeError):
        Handshake(KEY, True, CTX).sealers()


def test_a_replayed_reordered_dropped_or_altered_frame_fails_its_mac():
    i, r = pair()
    run(i, r)
    seal, _ = i.sealers()
    t0, t1 = seal.seal(b"zero"), seal.seal(b"one")
    _, in_order = r.sealers()
    assert in_order.check(t0, b"zero") and in_order.check(t1, b"one")
    _, reordered = r.sealers()
    assert not reordered.check(t1, b"one")
    _, dropped = r.sealers()
    assert not dropped.check(t1, b"one")  # frame 0 never came
    _, replayed = r.sealers()
    assert replayed.check(t0, b"zero")
    assert not replayed.check(t0, b"zero")
    _, altered = r.sealers()
    assert not altered.check(t0, b"zerO")


def test_sealed_frames_round_trip_through_the_framing_and_a_bad_one_is_a_frame_error():
    i, r = pair()
    run(i, r)
    seal, _ = i.sealers()
    _, opener = r.sealers()
    buf = bytearray(framing.encode_sealed("t", "s", b"data", seal) + framing.encode_sealed("t", "s", b"more", seal))
    assert framing.split(buf, opener=opener) == [("t", "s", b"data"), ("t", "s", b"more")]
    bad = bytearray(framing.encode_sealed("t", "s", b"data", seal))
    bad[-1] ^= 1
    with pytest.raises(framing.FrameError, match="MAC"):
        framing.split(bad, opener=opener)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.booleans(), st.integers(0, 1))
def test_fuzzed_handshake_input_raises_only_the_modules_errors(data, initiator, step):
    side = Handshake(KEY, initiator, CTX)
    if initiator:
        side.start()
    elif step:
        side.receive(Handshake(KEY, True, CTX).start())
    try:
        side.receive(data)
    except HandshakeError:
        pass
    assert not side.done or len(data) > 5


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzzed_frames_raise_only_frame_errors(data):
    envelopes = bytearray(data)
    try:
        got = framing.split(envelopes, limit=1 << 16)
        assert all(isinstance(t, str) and isinstance(s, str) and isinstance(d, bytes) for t, s, d in got)
        assert len(envelopes) <= len(data)
    except framing.FrameError:
        pass
    raw = bytearray(data)
    try:
        message = framing.take_raw(raw, hs.MAX_MESSAGE)
        assert message is None or (len(message) <= hs.MAX_MESSAGE and len(raw) == len(data) - 4 - len(message))
    except framing.FrameError:
        pass
