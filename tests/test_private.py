"""API.md §3.7: ActorSystem.private()."""
from __future__ import annotations

from actorcore.actors import ActorAddress, ExternalContext

from .actors import Echo
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
