"""docs/api.md §2.3, §4.4: ThespianWatch is honoured only where supported."""
from __future__ import annotations

import os

from actorcore import testing
from actorcore.actors import Actor, ThespianWatch, WatchMessage

from .helpers import WAIT, poll


class Watcher(Actor):
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


def test_watch_honoured_or_ignored(asys, asys_info):
    watches = testing.declared(asys_info, "watches")
    assert asys.capabilities["Thespian Watch Supported"] is watches
    a = asys.createActor(Watcher)
    assert asys.ask(a, "setup", WAIT) == "watching"
    if watches:
        fd, ready = poll(asys, a, "ready?", lambda r: len(r[1]) >= 1)
        assert ready and fd in ready[0]
    else:
        asys.listen(0.3)
        fd, ready = asys.ask(a, "ready?", WAIT)
        assert ready == [], "a base without watch support delivered WatchMessage"
    assert asys.ask(a, "ping", WAIT) == "pong"
