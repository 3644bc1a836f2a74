"""Per sender-target FIFO on rayBase, and the call shape that keeps it.

Ray runs concurrent calls to a threaded actor in any order, so the order is
kept by sending at most one ``deliver`` call per (process, target) at a time
(outbound.py). The unit tests pin that rule with a fake Ray handle (no Ray
needed); the system test sends enough from several actors at once that
batches and overlapping calls happen, and checks each sender's order."""
from __future__ import annotations

import pickle
import time
from concurrent.futures import Future
from typing import Any

from actorbase_ray import outbound

from actorcore.actors import Actor, ActorExitRequest
from actorcore.testing import running_system

# -- the rule, with a fake handle ------------------------------------------------


class _Ref:
    def __init__(self) -> None:
        self.fut: Future[Any] = Future()

    def future(self) -> Future[Any]:
        return self.fut


class _Method:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any], _Ref]] = []

    def remote(self, *args: Any) -> _Ref:
        # deliver's arguments come packed in one bytes (wire.pack), control's as they are
        target, batch = (pickle.loads(args[0]) if len(args) == 1 else args)[:2]
        ref = _Ref()
        self.calls.append((target, list(batch), ref))
        return ref


class _Handle:
    def __init__(self) -> None:
        self.deliver = _Method()
        self.control = _Method()


def _wait(what: Any) -> None:
    import time

    deadline = time.monotonic() + 5
    while not what():
        assert time.monotonic() < deadline, "the pump did not move on"
        time.sleep(0.005)


def test_one_call_in_flight_per_target_and_the_rest_follow_in_order():
    out = outbound.Outbound()
    target, other = _Handle(), _Handle()
    out.know("ns/a-1", target)
    out.know("ns/a-2", other)
    try:
        for i in range(5):
            out.send("ns/a-1", ("ns+c-1", b"%d" % i))
        out.send("ns/a-2", ("ns+c-1", b"x"))
        calls = target.deliver.calls
        # the first left at once, the other four wait behind it
        assert [batch for _t, batch, _r in calls] == [[("ns+c-1", b"0")]]
        assert len(other.deliver.calls) == 1  # another target has a channel of its own
        calls[0][2].fut.set_result(None)
        _wait(lambda: len(calls) == 2)
        assert calls[1][1] == [("ns+c-1", b"%d" % i) for i in range(1, 5)]
        out.send("ns/a-1", ("ns+c-1", b"5"))
        assert len(calls) == 2  # still one in flight
        calls[1][2].fut.set_result(None)
        _wait(lambda: len(calls) == 3)
        assert calls[2][1] == [("ns+c-1", b"5")]
    finally:
        out.close()


def test_a_failed_call_puts_its_batch_in_doubt_and_turns_the_queue_into_dead_letters():
    """The host may have taken the failed call's batch before it was ended
    (doubts.py): the admin decides; what waited behind it was never sent."""
    out = outbound.Outbound()
    target, admin = _Handle(), _Handle()
    out.know("ns/a-1", target)
    out.know("\0ns", admin)
    try:
        for i in range(3):
            out.send("ns/a-1", ("ns+c-1", b"%d" % i))
        target.deliver.calls[0][2].fut.set_exception(RuntimeError("actor died"))
        _wait(lambda: admin.control.calls)
        _t, ops, _r = admin.control.calls[0]
        assert ops == [("lost", "ns/a-1", out.token, 1, [("ns+c-1", b"0")],
                        [("ns+c-1", b"1"), ("ns+c-1", b"2")])]
        out.send("ns/a-1", ("ns+c-1", b"3"))  # the channel stays dead: straight to dead letters
        admin.control.calls[0][2].fut.set_result(None)
        _wait(lambda: len(admin.control.calls) == 2)
        assert admin.control.calls[1][1] == [("dead", "ns/a-1", [("ns+c-1", b"3")])]
        assert len(target.deliver.calls) == 1
    finally:
        out.close()


def test_a_call_that_returns_with_nothing_waiting_frees_its_channel_at_once():
    """On Ray's thread, without waiting for the pump: a sender that waits
    for each answer (pingpong) sends its next message straight away."""
    import queue

    out = outbound.Outbound()
    target = _Handle()
    out.know("ns/a-1", target)
    try:
        out.send("ns/a-1", ("ns+c-1", b"0"))
        unread: queue.SimpleQueue[Any] = queue.SimpleQueue()
        out._done = unread  # the pump waits on the old queue: it never sees what comes now
        target.deliver.calls[0][2].fut.set_result(True)
        out.send("ns/a-1", ("ns+c-1", b"1"))
        assert [batch for _t, batch, _r in target.deliver.calls] == [[("ns+c-1", b"0")], [("ns+c-1", b"1")]]
        assert unread.empty()
        # one with a send waiting behind it goes to the pump, which makes the next call
        out.send("ns/a-1", ("ns+c-1", b"2"))
        target.deliver.calls[1][2].fut.set_result(True)
        assert unread.qsize() == 1 and len(target.deliver.calls) == 2
    finally:
        out.close()


class _Refusing:
    def remote(self, *args: Any) -> Any:
        raise TypeError("Ray refused the call")


def test_a_call_ray_refused_turns_its_batch_into_dead_letters_at_once():
    """Never sent, so not in doubt."""
    out = outbound.Outbound()
    target, admin = _Handle(), _Handle()
    target.deliver = _Refusing()  # type: ignore[assignment]
    out.know("ns/a-1", target)
    out.know("\0ns", admin)
    try:
        out.send("ns/a-1", ("ns+c-1", b"0"))
        _wait(lambda: admin.control.calls)
        assert admin.control.calls[0][1] == [("dead", "ns/a-1", [("ns+c-1", b"0")])]
    finally:
        out.close()


def test_a_full_window_holds_the_sender_until_the_call_returns(monkeypatch):
    import threading

    monkeypatch.setattr(outbound, "WINDOW", 3)
    out = outbound.Outbound()
    target = _Handle()
    out.know("ns/a-1", target)
    sent = threading.Event()

    def flood() -> None:
        for i in range(5):
            out.send("ns/a-1", ("s", b"%d" % i))
        sent.set()

    try:
        threading.Thread(target=flood, daemon=True).start()
        _wait(lambda: target.deliver.calls and out.backlog() == 3)
        assert not sent.wait(0.2)  # four sent, one in flight, three waiting: the fifth waits
        target.deliver.calls[0][2].fut.set_result(None)
        assert sent.wait(5)
    finally:
        out.close()


# -- the promise, on a running system --------------------------------------------

N = 3000  # enough that a sender's messages leave in several overlapping batches


class Recorder(Actor):
    """Records, per sender, the numbers it got; says whether each came in order."""

    def __init__(self) -> None:
        self.last: dict[Any, int] = {}
        self.bad: list[Any] = []
        self.count = 0

    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if isinstance(msg, tuple) and msg[0] == "n":
            _tag, who, i = msg
            if i != self.last.get(who, -1) + 1:
                self.bad.append((who, self.last.get(who), i))
            self.last[who] = i
            self.count += 1
        elif msg == "report":
            self.send(sender, (self.count, self.bad))


class Flooder(Actor):
    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if isinstance(msg, tuple) and msg[0] == "flood":
            _tag, target, who = msg
            for i in range(N):
                self.send(target, ("n", who, i))
            self.send(sender, "sent")


def test_each_senders_messages_arrive_in_the_order_sent(local_ray):
    with running_system("rayBase", limit=0) as asys:
        rec = asys.createActor(Recorder)
        flooders = [asys.createActor(Flooder) for _ in range(3)]
        for k, f in enumerate(flooders):
            asys.tell(f, ("flood", rec, f"actor{k}"))
        for i in range(N):  # the program is a sender too
            asys.tell(rec, ("n", "program", i))
        for _ in flooders:
            assert asys.listen(60) == "sent"
        # "sent" went to the program, not to the recorder: what the flooders
        # sent may still be on its way, so ask until all of it has arrived
        deadline = time.monotonic() + 60
        while True:
            count, bad = asys.ask(rec, "report", 60)
            if count >= 4 * N or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert bad == []
        assert count == 4 * N
        asys.tell(rec, ActorExitRequest())
