"""Actors for the tests of actors in processes of their own: sleeping, dying, children."""
from __future__ import annotations

import ctypes
import os
import signal
import time

from actorcore.actors import Actor, ActorExitRequest, ChildActorExited


class Sleeper(Actor):
    """("sleep", s): sleeps (blocks its process), then replies "woke"."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("sleep",):
            time.sleep(message[1])
            self.send(sender, "woke")
        elif message == "pid":
            self.send(sender, os.getpid())
        elif isinstance(message, str):
            self.send(sender, message)


class Doomed(Actor):
    """Dies in the way it is told to."""

    def receiveMessage(self, message, sender):
        if message == "pid":
            self.send(sender, os.getpid())
        elif message == "exit":
            os._exit(3)
        elif message == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif message == "segfault":
            ctypes.string_at(0)
        elif message == "block":
            time.sleep(60)


class Supervisor(Actor):
    """("spawn",): creates a Doomed child and replies with (address, pid).
    Forwards ChildActorExited to whoever asked last, with the time it arrived."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("spawn",):
            self.asker = sender
            self.child = self.createActor(Doomed)
            self.send(self.child, "pid")
        elif isinstance(message, int):
            self.send(self.asker, (self.child, message))
        elif isinstance(message, tuple) and message[:1] == ("tell",):
            self.asker = sender
            self.send(self.child, message[1])
        elif message == "watch":
            self.asker = sender
        elif isinstance(message, ChildActorExited):
            self.send(self.asker, ("exited", message.childAddress == self.child, time.time()))


class Family(Actor):
    """Creates n children and reports their pids."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("children",):
            self.asker = sender
            self.pids = []
            self.kids = [self.createActor(Sleeper) for _ in range(message[1])]
            for kid in self.kids:
                self.send(kid, "pid")
        elif isinstance(message, int):
            self.pids.append(message)
            if len(self.pids) == len(self.kids):
                self.send(self.asker, [os.getpid(), *self.pids])
        elif isinstance(message, ActorExitRequest):
            pass


class ExitMarker(Actor):
    """``("mark", path)``: on its ActorExitRequest, writes its pid to ``path``
    (the moment its process starts to wind down); "pid" answers the pid."""

    def __init__(self):
        super().__init__()
        self.path = None

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("mark",):
            self.path = message[1]
            self.send(sender, os.getpid())
        elif isinstance(message, ActorExitRequest) and self.path is not None:
            with open(self.path, "w") as fh:
                fh.write(str(os.getpid()))
