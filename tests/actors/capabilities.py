"""Actors that require capabilities, check them, or report what they were given."""
from __future__ import annotations

import os

from actorcore.actors import Actor, ChildActorExited, requireCapability

from .basic import ExitReporter


class Reporting(ExitReporter):
    """An ExitReporter that reports its class's name; "caps?" answers with the
    capabilities __init__ got, ("update", name, value) updates one."""

    def __init__(self, capabilities=None):
        super().__init__()
        self.caps = capabilities

    def exit_report(self):
        return ("exit", type(self).__name__)

    def receiveMessage(self, message, sender):
        if message == "caps?":
            self.send(sender, self.caps)
        elif isinstance(message, tuple) and message[:1] == ("update",):
            self.updateCapability(message[1], message[2])
            self.send(sender, "updated")
        else:
            super().receiveMessage(message, sender)


@requireCapability("gpu")
class NeedsGpu(Reporting):
    pass


@requireCapability("zone", "eu-1")
class NeedsZone(Reporting):
    pass


@requireCapability("gpu")
@requireCapability("zone", "eu-1")
class NeedsBoth(Reporting):
    pass


@requireCapability("gpu")
class NeedsGpuAndMemory(Reporting):
    @staticmethod
    def actorSystemCapabilityCheck(capabilities, requirements):
        return capabilities.get("free_mem_gb", 0) >= requirements.get("mem_gb", 1)


class CheckRaises(Reporting):
    @staticmethod
    def actorSystemCapabilityCheck(capabilities, requirements):
        raise RuntimeError("broken check")


class RequirementsMustBeEmptyDict(Reporting):
    @staticmethod
    def actorSystemCapabilityCheck(capabilities, requirements):
        return requirements == {}


class RejectsWhenFlagged(Reporting):
    """Rejects the system once the file named by its requirements exists, so a
    re-run of the check (with the original requirements) is observable from
    any process."""

    @staticmethod
    def actorSystemCapabilityCheck(capabilities, requirements):
        return not os.path.exists(requirements["reject-if"])


class SpawnsRejected(Actor):
    def receiveMessage(self, message, sender):
        if message == "go":
            self.asker = sender
            self.child = self.createActor(NeedsGpu)
        elif isinstance(message, ChildActorExited):
            self.send(self.asker, ("child-exited", message.childAddress == self.child))
