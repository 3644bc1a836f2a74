"""docs/api.md §3.7: ActorSystem.private()."""
from __future__ import annotations

import threading

from actorcore.actors import ActorAddress, ExternalContext

from .actors.basic import Echo
from .helpers import WAIT


def test_private_context_has_its_own_endpoint(asys):
    e = asys.createActor(Echo)
    with asys.private() as ctx:
        assert isinstance(ctx, ExternalContext)
        assert ctx.ask(e, "mine", WAIT) == "mine"
        assert asys.listen(0.3) is None, "reply to the context reached the main handle"
    assert asys.ask(e, "main", WAIT) == "main"


def test_reply_to_main_handle_not_seen_by_context(asys):
    e = asys.createActor(Echo)
    with asys.private() as ctx:
        asys.tell(e, "for-main")
        assert ctx.listen(0.3) is None
        assert asys.listen(WAIT) == "for-main"


def test_two_contexts_do_not_share_replies(asys):
    e = asys.createActor(Echo)
    with asys.private() as c1, asys.private() as c2:
        c1.tell(e, "one")
        c2.tell(e, "two")
        assert c2.listen(WAIT) == "two"
        assert c1.listen(WAIT) == "one"


def test_private_context_operations(asys):
    with asys.private() as ctx:
        a = ctx.createActor(Echo)
        assert isinstance(a, ActorAddress)
        assert ctx.ask(a, 1, WAIT) == 1
        ctx.updateCapability("private-cap", 7)
    assert asys.ask(a, 2, WAIT) == 2


def test_many_threads_each_with_a_private_context(asys):
    """100 threads at once, each with its own private() context and several
    asks to a few actors: every answer reaches the thread that asked
    (web servers and thread pools use one system this way)."""
    echoes = [asys.createActor(Echo) for _ in range(4)]
    threads, asks = 100, 5
    answers: dict[int, list] = {}
    failures: list[str] = []
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        try:
            with asys.private() as ctx:
                start.wait(WAIT)
                answers[n] = [ctx.ask(echoes[(n + i) % 4], (n, i), WAIT) for i in range(asks)]
        except Exception as exc:
            failures.append(f"thread {n}: {exc!r}")

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(2 * WAIT)
    assert not failures, failures[:5]
    assert not [t for t in pool if t.is_alive()], "a thread is still waiting for its answers"
    assert answers == {n: [(n, i) for i in range(asks)] for n in range(threads)}
