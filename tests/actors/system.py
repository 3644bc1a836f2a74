"""Actors for calls on the system as a whole: two systems, systemUpdate, conventions
where there are none, file-descriptor watches, status."""
from __future__ import annotations

import os

from actorcore.actors import Actor, PoisonMessage, ThespianWatch, WatchMessage

#: how many messages a Looper sends itself before it answers
LOOPS = 2000


class PingRelay(Actor):
    """("relay", addr): sends "ping" to addr and answers the asker "relayed pong"
    when addr's "pong" comes back, or ("refused", details) if the ping comes
    back as PoisonMessage; "ping": answers "pong"; anything else is echoed."""

    def receiveMessage(self, message, sender):
        if isinstance(message, PoisonMessage) and message.poisonMessage == "ping":
            self.send(self.asker, ("refused", message.details))
        elif isinstance(message, tuple) and message[:1] == ("relay",):
            self.asker = sender
            self.send(message[1], "ping")
        elif message == "ping":
            self.send(sender, "pong")
        elif message == "pong":
            self.send(self.asker, "relayed pong")
        elif isinstance(message, str):
            self.send(sender, ("echo", message))


class Looper(Actor):
    """"start": sends itself LOOPS messages, one after the other, then answers "looped"."""

    def receiveMessage(self, message, sender):
        if message == "start":
            self.asker = sender
            self.send(self.myAddress, 1)
        elif isinstance(message, int):
            if message < LOOPS:
                self.send(self.myAddress, message + 1)
            else:
                self.send(self.asker, "looped")


class Convener(Actor):
    def receiveMessage(self, message, sender):
        try:
            if message == "notify":
                self.notifyOnSystemRegistrationChanges(True)
                self.notifyOnSystemRegistrationChanges(False)
            elif message == "deregister-unknown":
                self.deRegisterRemoteSystem("no-such-host-xyz:1")
            elif message == "preregister-garbage":
                self.preRegisterRemoteSystem("not an address at all", {})
                self.deRegisterRemoteSystem("not an address at all")
            elif message == "shutdown":
                self.actorSystemShutdown()
                return
        except Exception as exc:
            self.send(sender, ("raised", type(exc).__name__, str(exc)))
            return
        self.send(sender, "done")


class PipeWatcher(Actor):
    """Makes a pipe in its own process, makes it readable and watches it."""

    def __init__(self):
        super().__init__()
        self.ready = []
        self.fd = None

    def receiveMessage(self, message, sender):
        if message == "setup":
            r, w = os.pipe()
            os.write(w, b"x")
            self.fd = r
            self.send(sender, "watching")
        elif isinstance(message, WatchMessage):
            self.ready.append(list(message.ready))
        elif message == "ready?":
            self.send(sender, (self.fd, list(self.ready)))
        elif message == "ping":
            self.send(sender, "pong")
        if self.fd is not None:
            return ThespianWatch([self.fd])
        return None
