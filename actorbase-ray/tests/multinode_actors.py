"""Actors of test_multinode.py: each says where it runs (imported by the Ray workers)."""
from __future__ import annotations

import os
from typing import Any

from actorcore.actors import Actor, ActorSystemConventionUpdate, ChildActorExited, DeadEnvelope


def _where() -> tuple[str, int]:
    import ray

    return ray.get_runtime_context().get_node_id(), os.getpid()


class _Needs(Actor):
    resource = ""

    @classmethod
    def actorSystemCapabilityCheck(cls, capabilities: dict[str, Any], requirements: Any) -> bool:
        return float(capabilities.get(cls.resource, 0)) >= 1

    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if msg == "where":
            self.send(sender, _where())
        elif isinstance(msg, tuple) and msg[0] == "relay":  # ("relay", to, reply_to)
            self.send(msg[1], ("hello", self.myAddress, msg[2]))
        elif isinstance(msg, tuple) and msg[0] == "hello":
            self.send(msg[2], ("got hello", msg[1], _where()))
        elif isinstance(msg, tuple) and msg[0] == "spawn":  # a child on another node
            self.asker = sender
            self.child = self.createActor(msg[1])
            self.send(self.child, "where")
        elif isinstance(msg, tuple) and len(msg) == 2 and isinstance(msg[1], int):
            self.send(self.asker, (self.child, msg))
        elif isinstance(msg, ChildActorExited):
            self.send(self.asker, ("exited", msg.childAddress))


class NeedsHead(_Needs):
    resource = "head"


class NeedsAlpha(_Needs):
    resource = "alpha"


class NeedsBeta(_Needs):
    resource = "beta"


class NeedsRed(_Needs):
    """Needs a capability the user gave one node (Ray Node Capabilities)."""

    @classmethod
    def actorSystemCapabilityCheck(cls, capabilities: dict[str, Any], requirements: Any) -> bool:
        return capabilities.get("colour") == "red"


class NeedsGamma(_Needs):
    resource = "gamma"  # no node has it


class Handler(Actor):
    """Dead letter handler and go-between for the program; on the head node,
    which stays."""

    @classmethod
    def actorSystemCapabilityCheck(cls, capabilities: dict[str, Any], requirements: Any) -> bool:
        return float(capabilities.get("head", 0)) >= 1

    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if msg == "start":
            self.asker = sender
            self.handleDeadLetters()
            self.send(sender, "ready")
        elif isinstance(msg, DeadEnvelope):
            self.send(self.asker, ("dead", msg.deadAddress, msg.deadMessage))
        else:  # anything else goes on to the program (an actor cannot address an endpoint it never heard from)
            self.send(self.asker, msg)


class Watcher(Actor):
    """Asks for the cluster's nodes joining and leaving; passes each update on
    as ("update", added, the node's test resources, its address); on the head."""

    @classmethod
    def actorSystemCapabilityCheck(cls, capabilities: dict[str, Any], requirements: Any) -> bool:
        return float(capabilities.get("head", 0)) >= 1

    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if msg == "watch":
            self.asker = sender
            self.notifyOnSystemRegistrationChanges(True)
            self.send(sender, "watching")
        elif isinstance(msg, ActorSystemConventionUpdate):
            caps = msg.remoteCapabilities
            mine = sorted(k for k in ("head", "alpha", "beta", "gamma") if float(caps.get(k, 0)) >= 1)
            self.send(self.asker, ("update", msg.remoteAdded, mine, str(msg.remoteAdminAddress.addressDetails)))
