"""A child whose process is ended under it is noticed (issue 15 step 4): its
parent hears ChildActorExited, and what is sent to it becomes a dead letter."""
from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from actorcore.actors import Actor, ActorExitRequest, ChildActorExited, DeadEnvelope
from actorcore.testing import running_system


class Kid(Actor):
    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if msg == "pid?":
            self.send(sender, os.getpid())


class Parent(Actor):
    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if msg == "start":
            self.asker = sender
            self.kid = self.createActor(Kid)
            self.send(self.kid, "pid?")
        elif isinstance(msg, int):
            self.send(self.asker, (self.kid, msg))
        elif isinstance(msg, ChildActorExited):
            self.send(self.asker, ("exited", msg.childAddress == self.kid))


class Handler(Actor):
    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if msg == "start":
            self.asker = sender
            self.handleDeadLetters()
            self.send(sender, "ready")
        elif isinstance(msg, DeadEnvelope):
            self.send(self.asker, ("dead", msg.deadAddress, msg.deadMessage))


def _kill_with_signal(asys: Any, kid: Any, pid: int) -> None:
    os.kill(pid, signal.SIGKILL)  # a process this test's system started


def _kill_with_ray(asys: Any, kid: Any, pid: int) -> None:
    import ray

    details = str(kid.addressDetails)
    ray.kill(ray.get_actor(details, namespace=details.split("/")[0]), no_restart=True)


@pytest.mark.parametrize("kill", [_kill_with_signal, _kill_with_ray], ids=["SIGKILL", "ray.kill"])
def test_a_killed_child_is_reported_to_its_parent_and_its_mail_is_dead_letters(local_ray, kill):
    with running_system("rayBase", limit=0) as asys:
        handler = asys.createActor(Handler)
        assert asys.ask(handler, "start", 30) == "ready"
        parent = asys.createActor(Parent)
        kid, pid = asys.ask(parent, "start", 60)
        kill(asys, kid, pid)
        assert asys.listen(60) == ("exited", True)
        asys.tell(kid, "anyone there?")
        assert asys.listen(60) == ("dead", kid, "anyone there?")
        asys.tell(parent, ActorExitRequest())
