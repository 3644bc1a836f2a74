"""``await asys.ask_async(...)`` from a running event loop, and ``tell`` / ``ask``
called there (docs/asyncio.md, "Outside the system"; issue 13 point 5)."""
from __future__ import annotations

import asyncio
import threading

import pytest

from actorcore import testing
from actorcore.actors import ActorExitRequest, ActorSystemFailure, PoisonMessage

from .actors.addresses import PassOn, ReplyTo
from .actors.basic import Echo, Silent
from .actors.messaging import LateReplier
from .helpers import WAIT


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, WAIT * 6))


def test_concurrent_asks_from_one_loop_each_get_their_own_reply(asys):
    echoes = [asys.createActor(Echo) for _ in range(4)]

    async def main():
        return await asyncio.gather(
            *(asys.ask_async(echoes[i % 4], ("n", i), WAIT) for i in range(200))
        )

    assert run(main()) == [("n", i) for i in range(200)]


def test_a_reply_from_whoever_the_target_passed_the_request_to_counts(asys):
    pass_on, replier = asys.createActor(PassOn), asys.createActor(ReplyTo)

    async def main():
        return await asyncio.gather(*(asys.ask_async(pass_on, (replier, i), WAIT) for i in range(20)))

    assert run(main()) == [("via", i) for i in range(20)]


def test_a_reply_sent_after_the_handler_returned_counts(asys):
    late = [asys.createActor(LateReplier) for _ in range(3)]

    async def main():
        return await asyncio.gather(*(asys.ask_async(a, "slow", WAIT) for a in late))

    assert run(main()) == ["late"] * 3


def test_a_target_that_never_answers_gives_none_at_the_timeout(asys):
    silent = asys.createActor(Silent)

    async def main():
        return await asys.ask_async(silent, "hello?", 0.3)

    assert run(main()) is None


def test_an_ask_of_a_dead_actor_fails_at_once(asys, asys_info):
    # The asks below race the exit: one may be on its way when the actor goes.
    routed = asys.capabilities.get("Admin Routing") or asys.capabilities.get("Outbound Only")
    if not routed:  # with either, everything goes through the admin, which keeps them
        testing.require(asys_info, keeps_in_flight=True)
    echo = asys.createActor(Echo)
    assert asys.ask(echo, "alive?", WAIT) == "alive?"
    asys.tell(echo, ActorExitRequest())

    async def main():
        # Until the exit is through, the echo may still answer; afterwards the
        # dead-letter rule answers the ask with a failure. The ask itself has
        # no timeout: only that answer can end it (the bound fails the test).
        while True:
            try:
                await asyncio.wait_for(asys.ask_async(echo, "alive?", None), WAIT)
            except ActorSystemFailure as exc:
                return str(exc)
            await asyncio.sleep(0.05)

    assert "failed" in run(main())


@pytest.mark.requires("copies_messages")
def test_a_message_that_cannot_be_pickled_comes_back_as_a_poison_message(asys):
    echo = asys.createActor(Echo)

    async def main():
        return await asys.ask_async(echo, threading.Lock(), WAIT)

    reply = run(main())
    assert isinstance(reply, PoisonMessage)
    assert reply.poisonMessage.__class__ is threading.Lock().__class__


def test_ask_async_needs_an_address(asys):
    async def main():
        return await asys.ask_async("not an address", "x", WAIT)

    with pytest.raises(ValueError, match="ActorAddress"):
        run(main())


def test_tell_and_ask_work_inside_a_running_loop(asys):
    echo = asys.createActor(Echo)

    async def main():
        asys.tell(echo, "first")
        # ask blocks the loop while it waits, as documented; it still works
        return asys.listen(WAIT), asys.ask(echo, "second", WAIT)

    assert run(main()) == ("first", "second")


def test_ask_async_on_a_shut_down_system_fails(asys):
    echo = asys.createActor(Echo)
    asys.shutdown()

    async def main():
        return await asys.ask_async(echo, "x", WAIT)

    with pytest.raises(ActorSystemFailure):
        run(main())


@pytest.mark.requires("multiprocess", reason="on the simple base an ask returns once nothing is left to run")
def test_a_shutdown_ends_a_waiting_ask_async_with_a_failure(asys):
    silent = asys.createActor(Silent)

    async def main():
        waiting = asyncio.ensure_future(asys.ask_async(silent, "anyone?", WAIT * 3))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        # shutdown blocks (it returns when every process is gone): off the loop
        await asyncio.get_running_loop().run_in_executor(None, asys.shutdown)
        return await asyncio.wait_for(waiting, WAIT)

    with pytest.raises(ActorSystemFailure):
        run(main())


def test_no_thread_of_ask_async_outlives_its_system(asys):
    echo = asys.createActor(Echo)

    async def main():
        return await asyncio.gather(*(asys.ask_async(echo, i, WAIT) for i in range(10)))

    assert run(main()) == list(range(10))
    asys.shutdown()

    def ours():
        return [t for t in threading.enumerate() if t.name.startswith("actorcore-ask_async")]

    for t in ours():
        t.join(WAIT)
    assert ours() == []


def test_a_cancelled_ask_async_does_not_hold_up_the_next(asys):
    silent = asys.createActor(Silent)
    late = asys.createActor(LateReplier)

    async def main():
        # no timeout: only the cancellation ends it; where the asks wait on a
        # worker thread, that thread must let go of it
        waiting = asyncio.ensure_future(asys.ask_async(silent, "anyone?", None))
        await asyncio.sleep(0.2)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        # a reply that needs the system run on (a wakeup): waited for as the first was
        return await asyncio.wait_for(asys.ask_async(late, "slow", WAIT), WAIT)

    assert run(main()) == "late"


@pytest.mark.requires(multiprocess=False, reason="only a base that runs actors in the caller's thread")
def test_a_reply_given_while_the_actors_run_is_answered_on_the_loops_thread(asys):
    echo = asys.createActor(Echo)
    before = {t.ident for t in threading.enumerate()}

    async def main():
        return await asyncio.gather(*(asys.ask_async(echo, i, WAIT) for i in range(20)))

    assert run(main()) == list(range(20))
    assert {t.ident for t in threading.enumerate()} <= before  # no worker thread was started
