"""A program's ask on rayBase: the actor's reply comes straight back as the
result of the call that carried the request (host.py, ``ask``), instead of
through the admin and the program's next ``take``, whenever that cannot put
it ahead of an earlier message from the same actor."""
from __future__ import annotations

from typing import Any

from actorbase_ray import system as raysystem

from actorcore.actors import Actor
from actorcore.testing import running_system


class Echo(Actor):
    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if isinstance(msg, tuple) and msg[:1] == ("echo",):
            self.send(sender, msg)
        elif isinstance(msg, tuple) and msg[:1] == ("two",):
            self.send(sender, ("first", msg[1]))
            self.send(sender, ("second", msg[1]))


def _counting(monkeypatch: Any) -> dict[str, int]:
    seen = {"direct": 0}
    direct = raysystem.RaySystem._direct

    def counted(self: Any, target: str, ref: Any) -> Any:
        got = direct(self, target, ref)
        if got:
            seen["direct"] += 1
        return got

    monkeypatch.setattr(raysystem.RaySystem, "_direct", counted)
    return seen


def test_replies_to_asks_come_back_with_the_call(local_ray, monkeypatch):
    seen = _counting(monkeypatch)
    with running_system("rayBase", limit=0) as asys:
        e = asys.createActor(Echo)
        for i in range(20):
            assert asys.ask(e, ("echo", i), 30) == ("echo", i)
    # the first ask opens the program's channel to the actor the usual way
    assert seen["direct"] >= 15, seen


def test_a_second_reply_follows_the_first_through_the_admin(local_ray, monkeypatch):
    seen = _counting(monkeypatch)
    with running_system("rayBase", limit=0) as asys:
        e = asys.createActor(Echo)
        assert asys.ask(e, ("echo", 0), 30) == ("echo", 0)
        for i in range(5):
            assert asys.ask(e, ("two", i), 30) == ("first", i)
            assert asys.listen(30) == ("second", i)
        assert asys.listen(0.2) is None
    assert seen["direct"] >= 1, seen  # the first of each pair may come back with the call
