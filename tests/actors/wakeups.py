"""Actors that schedule wakeups."""
from __future__ import annotations

import time
from datetime import timedelta

from actorcore.actors import Actor, WakeupMessage


class Sleeper(Actor):
    """("after", period, payload): schedules a wakeup, replies with what arrived
    plus the elapsed time measured inside the actor."""

    def __init__(self):
        super().__init__()
        self.pending = []
        self.got = []

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("after",):
            _, period, payload = message
            self.pending.append((sender, time.monotonic()))
            self.wakeupAfter(period, payload)
        elif isinstance(message, tuple) and message[:1] == ("many",):
            self.asker = sender
            self.expect = len(message[1])
            for period, payload in message[1]:
                self.wakeupAfter(period, payload)
        elif isinstance(message, WakeupMessage):
            if getattr(self, "asker", None) is not None:
                self.got.append(message.payload)
                if len(self.got) == self.expect:
                    self.send(self.asker, list(self.got))
                return
            asker, started = self.pending.pop(0)
            self.send(asker, (message, time.monotonic() - started, sender == self.myAddress))
        elif isinstance(message, tuple) and message[:1] == ("bad",):
            try:
                self.wakeupAfter(message[1])
            except Exception as exc:
                self.send(sender, type(exc).__name__)
            else:
                self.send(sender, "accepted")
        elif message == "far":
            self.wakeupAfter(timedelta(hours=1), "far")
            self.send(sender, "scheduled")
        elif message == "ping":
            self.send(sender, "pong")


class WakeAndReport(Actor):
    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("arm",):
            self.collector = message[1]
            self.wakeupAfter(0.3, "late")
            self.send(sender, "armed")
        elif isinstance(message, WakeupMessage):
            self.send(self.collector, ("woke", message.payload))


class Waiter(Actor):
    """Counts its wakeups; ("arm", delay) or ("busy", delay, seconds) schedule one."""

    woken = 0

    def receiveMessage(self, message, sender):
        if isinstance(message, WakeupMessage):
            self.woken += 1
        elif isinstance(message, tuple) and message[:1] == ("arm",):
            self.wakeupAfter(message[1])
            self.send(sender, "armed")
        elif isinstance(message, tuple) and message[:1] == ("busy",):
            self.wakeupAfter(message[1])
            time.sleep(message[2])  # still busy when the wakeup falls due
        elif message == "awoken?":
            self.send(sender, ("woken", self.woken))
