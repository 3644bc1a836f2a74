"""The helper decorators (docs/api.md §1.3: troupe, transient, initmsgs) on
actors whose handlers are ``async def`` (docs/asyncio.md)."""
from __future__ import annotations

from actorcore.actors import ActorAddress, PoisonMessage
from actorcore.testing import until

from .actors.asyncs import AsyncConfigured, AsyncFleeting, AsyncSlowWorker
from .actors.basic import Collector, Spawner
from .actors.decorated import Feeder
from .helpers import WAIT, collected, most_at_once


def test_an_async_troupe_worker_is_busy_until_its_handler_has_finished(asys):
    trp = asys.createActor(AsyncSlowWorker)  # max_count=3
    col = asys.createActor(Collector)
    feeder = asys.createActor(Feeder)
    assert asys.ask(feeder, ("feed", trp, [("work", 0.4, col)] * 9), WAIT) == "fed"
    got = collected(asys, col, lambda g: sum(1 for e in g if e[0] == "end") == 9)
    most = most_at_once(got)
    # a worker reported free while its handler was still suspended would be
    # taken for idle and dismissed (its exit request cancelling the handler,
    # its job lost): every job ended, on three workers
    assert sum(1 for what, _who in got if what == "end") == 9
    assert len({who for _what, who in got}) == 3
    assert most <= 3


def test_an_async_transient_actor_exits_after_its_delay(asys):
    nanny = asys.createActor(Spawner)
    child = asys.ask(nanny, ("spawn", AsyncFleeting), WAIT)
    assert isinstance(child, ActorAddress), child
    assert asys.ask(child, "ping", WAIT) == "pong"
    until(lambda: asys.ask(nanny, "exited", WAIT) == [child.addressDetails], limit=WAIT)


def test_async_initializing_messages_replay_held_ones_in_order_and_poison_a_failing_one(asys):
    peer = asys.createActor(Collector)
    act = asys.createActor(AsyncConfigured)
    for word in ("one", "bad", "two"):
        asys.tell(act, word)
    asys.tell(act, peer)  # completes the set: the held ones run, one at a time
    asys.tell(act, "three")  # arrives while they run: after them
    poison = asys.listen(WAIT)
    assert isinstance(poison, PoisonMessage) and poison.poisonMessage == "bad"
    assert "held async message fails" in (poison.details or "")
    got = collected(asys, peer, lambda g: len(g) >= 3)
    assert got == [("handled", "one"), ("handled", "two"), ("handled", "three")]
