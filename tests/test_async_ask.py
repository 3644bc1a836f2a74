"""docs/api.md §9.3, docs/asyncio.md: ``await self.ask`` inside actors, on every base.

Correlation (many askers, gathered asks), late replies, a dead target, the
deadlock naming its cycle, the bad inputs, and real asyncio I/O in a handler.
"""
from __future__ import annotations

import socket
import threading

import pytest

from actorcore.actors import (
    ActorExitRequest,
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_StatusReq,
)

from .actors.asyncs import LOG, Asker, BadAsks, FetchLine, OverridesSend, PlainAsks, Sleeper
from .actors.basic import Collector, Echo
from .actors.failures import Fails
from .helpers import WAIT, collected, poll, settle


def test_ask_gets_the_targets_reply(asys):
    a = asys.createActor(Asker)
    echo = asys.createActor(Echo)
    assert asys.ask(a, ("ask", echo, "hi", 10), WAIT) == ("ok", "hi")


def test_the_reply_of_a_target_whose_class_overrides_send(asys):
    a = asys.createActor(Asker)
    target = asys.createActor(OverridesSend)
    assert asys.ask(a, ("ask", target, "hi", 10), WAIT) == ("ok", ("tagged", "hi"))


def test_a_target_failing_twice_answers_the_ask_with_poison(asys):
    a = asys.createActor(Asker)
    result = asys.ask(a, ("ask", asys.createActor(Fails), "boom", 10), WAIT)
    assert result is not None and result[0] == "ok", result
    assert isinstance(result[1], PoisonMessage)
    assert result[1].poisonMessage == "boom"


def test_a_status_request_can_be_asked(asys):
    a = asys.createActor(Asker)
    target = asys.createActor(Echo)
    result = asys.ask(a, ("ask", target, Thespian_StatusReq(), 10), WAIT)
    assert result is not None and result[0] == "ok", result
    assert isinstance(result[1], Thespian_ActorStatus)
    assert result[1].actorAddress == target


def test_many_actors_asking_one_target_each_get_their_own_reply(asys):
    target = asys.createActor(Sleeper)
    col = asys.createActor(Collector)
    askers = [asys.createActor(Asker) for _ in range(6)]
    for i, a in enumerate(askers):
        asys.tell(a, ("ask", target, ("sleep", 0.01 * (i % 3), f"answer {i}"), 20, col))
    got = collected(asys, col, lambda g: len(g) >= len(askers))
    assert len(got) == len(askers)
    for asked, result in got:
        assert result == ("ok", asked[2]), got


def test_gathered_asks_from_one_actor_each_get_their_own_reply(asys):
    a = asys.createActor(Asker)
    target = asys.createActor(Sleeper)
    msgs = [("sleep", 0.05, "first"), ("sleep", 0.0, "second"), ("sleep", 0.01, "third")]
    assert asys.ask(a, ("gather", target, msgs), WAIT) == ["first", "second", "third"]


def test_a_late_reply_is_not_taken_for_the_next_asks(asys):
    a = asys.createActor(Asker)
    target = asys.createActor(Sleeper)
    assert asys.ask(a, ("late", target), WAIT) == ("timeout", ("ok", "fresh"))
    # the late one came as an ordinary message, after the handler
    assert poll(asys, a, LOG, lambda log: "late" in log) == ["late"]


def test_a_shorter_ask_made_later_times_out_first(asys):
    a = asys.createActor(Asker)
    silent = asys.createActor(Collector)  # never answers
    echo = asys.createActor(Echo)
    # the 60 s ask is open all along: only the 0.3 s one's own deadline can
    # end the second ask within the test's wait
    assert asys.ask(a, ("timeouts", silent, echo), WAIT) == ("timeout", ("ok", "yes"))


def test_ask_of_a_dead_actor_fails_at_once(asys):
    a = asys.createActor(Asker)
    dead = asys.createActor(Echo)
    asys.tell(dead, ActorExitRequest())
    settle(asys, 0.3)
    # a long ask timeout: only the dead letter can end it within the test's wait
    result = asys.ask(a, ("ask", dead, "anyone?", 120), WAIT)
    assert result is not None and result[:2] == ("failed", "ActorSystemFailure"), result
    assert "not running" in result[2]


def test_deadlock_ends_in_a_timeout_that_names_the_cycle(asys):
    a = asys.createActor(Asker)
    b = asys.createActor(Asker)
    result = asys.ask(a, ("ask", b, ("ask", a, "ping", 5), 1.0), WAIT)
    assert result is not None and result[0] == "timeout", result
    text = result[1]
    assert "deadlock" in text
    assert f"{a} -> {b} -> {a}" in text
    # once a gave up, b's request was handled and b's answer reached a as a message
    assert poll(asys, a, LOG, lambda log: len(log) >= 1) == [("ok", "pong")]


def test_ask_to_a_non_address_raises_at_once(asys):
    a = asys.createActor(BadAsks)
    kind, text = asys.ask(a, "non-address", WAIT)
    assert kind == "InvalidActorAddress"
    assert "not an address" in text


def test_ask_timeouts_that_are_no_number_of_seconds_raise_and_a_negative_one_waits_not(asys):
    a = asys.createActor(BadAsks)
    silent = asys.createActor(Collector)  # never answers: only the timeout ends an ask
    assert asys.ask(a, ("bad timeouts", silent), WAIT) == ["TypeError", "ValueError", "ActorSystemRequestTimeout"]


def test_ask_from_a_plain_handler_is_a_type_error_saying_async_def(asys):
    a = asys.createActor(PlainAsks)
    kind, text = asys.ask(a, "go", WAIT)
    assert kind == "TypeError"
    assert "async def" in text


@pytest.mark.requires("copies_messages", reason="only a base that pickles messages refuses one that cannot be")
def test_ask_with_an_unpicklable_message_fails_at_once(asys):
    a = asys.createActor(BadAsks)
    target = asys.createActor(Echo)
    result = asys.ask(a, ("unpicklable", target), WAIT)
    assert result is not None and result[0] == "ActorSystemFailure", result
    assert "not sent" in result[1] and "pickle" in result[1]


@pytest.fixture
def line_server():
    """A loopback TCP server on a free port that answers each line reversed."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.1)  # a closed socket does not wake accept(): look at ``stop`` now and then
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(WAIT)
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(data.strip()[::-1] + b"\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield srv.getsockname()
    finally:
        stop.set()
        srv.close()
        thread.join(WAIT)
        assert not thread.is_alive()


def test_handler_does_real_asyncio_io(asys, line_server):
    host, port = line_server
    a = asys.createActor(FetchLine)
    assert asys.ask(a, ("fetch", host, port, "hello"), WAIT) == "olleh"
