"""Actors made with the helper modules (troupe, transient, initmsgs).

A worker names itself by ``(pid, address)``: the pid tells processes apart,
the address tells actors apart on an in-process base (one process).
"""
from __future__ import annotations

import os
import time

from actorcore.actors import Actor, ActorAddress, ActorExitRequest, WakeupMessage
from actorcore.initmsgs import initializing_messages
from actorcore.transient import transient, transient_idle
from actorcore.troupe import troupe

from .failures import KaboomError


def me(actor: Actor) -> tuple[int, str]:
    return (os.getpid(), str(actor.myAddress))


class Feeder(Actor):
    """("feed", target, [msg, ...]): sends each message to target in one go, so
    the target sees them back to back on every base; replies "fed"."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("feed",):
            _, target, msgs = message
            for msg in msgs:
                self.send(target, msg)
            self.send(sender, "fed")


class Tally(Actor):
    """Counts ("done", n, who) reports; GET answers (reports, {n: times}, [who, ...])."""

    def __init__(self):
        super().__init__()
        self.reports = 0
        self.times = {}
        self.who = []

    def receiveMessage(self, message, sender):
        if message == "tally?":
            self.send(sender, (self.reports, dict(self.times), list(self.who)))
        elif isinstance(message, tuple) and message[:1] == ("done",):
            _, n, who = message
            self.reports += 1
            self.times[n] = self.times.get(n, 0) + 1
            if who not in self.who:
                self.who.append(who)


@troupe(max_count=10, idle_count=2)
class JobWorker(Actor):
    """("job", n, tally): reports ("done", n, who) to tally."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("job",):
            _, n, tally = message
            self.send(tally, ("done", n, me(self)))


@troupe(max_count=3, idle_count=3)
class SlowWorker(Actor):
    """("work", seconds, collector): reports ("start", who), holds its process for
    ``seconds``, then reports ("end", who)."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("work",):
            _, seconds, collector = message
            self.send(collector, ("start", me(self)))
            time.sleep(seconds)
            self.send(collector, ("end", me(self)))


@troupe(max_count=4, idle_count=1, dismiss_after=0.2)
class ShrinkingWorker(Actor):
    """("work", seconds, collector): holds its process, then reports ("done", who);
    reports ("exit", who) to the last collector when asked to exit."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("work",):
            _, seconds, self.collector = message
            time.sleep(seconds)
            self.send(self.collector, ("done", me(self)))
        elif isinstance(message, ActorExitRequest) and hasattr(self, "collector"):
            self.send(self.collector, ("exit", me(self)))


@troupe(max_count=1, idle_count=1)
class FragileWorker(Actor):
    """("job", n): answers ("ok", n, who), but raises on ("job", "bad")."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("job",):
            if message[1] == "bad":
                raise KaboomError("this job always fails")
            self.send(sender, ("ok", message[1], me(self)))


@troupe(max_count=1, idle_count=1)
class SteppingWorker(Actor):
    """("job", n, collector): reports ("start", n), finishes 0.2 s later on a
    wakeup with ("end", n), marking the work in progress meanwhile."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("job",):
            _, n, collector = message
            self.send(collector, ("start", n))
            self.troupe_work_in_progress = True
            self.wakeupAfter(0.2, payload=(n, collector))
        elif isinstance(message, WakeupMessage) and isinstance(message.payload, tuple):
            n, collector = message.payload
            self.send(collector, ("end", n))
            self.troupe_work_in_progress = False


@transient(0.3)
class Fleeting(Actor):
    def receiveMessage(self, message, sender):
        if message == "ping":
            self.send(sender, "pong")


@transient_idle(0.4)
class Lingering(Actor):
    def receiveMessage(self, message, sender):
        if message == "ping":
            self.send(sender, "pong")


@initializing_messages([("config", dict, True), ("peer", ActorAddress)], initdone="ready")
class Configured(Actor):
    """Held until it has a dict (config) and an address (peer); then reports
    ("ready", config) and each string it handles as ("handled", s) to peer,
    and answers "initialised" to whoever sent the config. "bad" raises."""

    def ready(self):
        self.send(self.peer, ("ready", self.config))
        self.send(self.config_sender, "initialised")

    def receiveMessage(self, message, sender):
        if message == "bad":
            raise KaboomError("held message fails")
        if isinstance(message, str):
            self.send(self.peer, ("handled", message))


@initializing_messages([("peer", ActorAddress)], init_passthru=True)
class Eager(Actor):
    """Answers each string with ("seen", s, whether peer is set yet)."""

    def receiveMessage(self, message, sender):
        if isinstance(message, str):
            self.send(sender, ("seen", message, hasattr(self, "peer")))


@initializing_messages([("peer", ActorAddress)])
@transient(0.2)
class ConfiguredTransient(Actor):
    """Held until it has a peer; reports each string to it; leaves 0.2 s after
    the first message that gets past the holding."""

    def receiveMessage(self, message, sender):
        if isinstance(message, str):
            self.send(self.peer, ("handled", message))


@transient(0.2)
@initializing_messages([("peer", ActorAddress)])
class TransientConfigured(Actor):
    """The same, decorators the other way round: the timer starts at the first message."""

    def receiveMessage(self, message, sender):
        if isinstance(message, str):
            self.send(self.peer, ("handled", message))
