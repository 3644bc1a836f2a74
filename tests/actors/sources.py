"""Actors for the source-loading tests: watching, forging and deploying sources."""
from __future__ import annotations

from actorcore.actors import (
    Actor,
    LoadedSource,
    Thespian_StatusReq,
    Thespian_SystemStatus,
    UnloadedSource,
    ValidatedSource,
)


class SourceWatcher(Actor):
    """"watch": notifyOnSourceAvailability, answers "watching"; "get": what it saw so far,
    as ("loaded"|"unloaded", hash) pairs."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def receiveMessage(self, message, sender):
        if message == "watch":
            self.notifyOnSourceAvailability()
            self.send(sender, "watching")
        elif message == "get":
            self.send(sender, list(self.seen))
        elif isinstance(message, LoadedSource):
            self.seen.append(("loaded", message.sourceHash))
        elif isinstance(message, UnloadedSource):
            self.seen.append(("unloaded", message.sourceHash))


class Forger(Actor):
    """("forge", admin, hash, zip): sends ValidatedSource to the admin without being
    the authority, then asks the admin for status (answered after the forgery, same
    sender) and replies with its loadedSources hashes."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("forge",):
            _, admin, digest, zip_bytes = message
            self.requester = sender
            self.send(admin, ValidatedSource(digest, zip_bytes, "forged"))
            self.send(admin, Thespian_StatusReq())
        elif isinstance(message, Thespian_SystemStatus):
            self.send(self.requester, [h for h, _ in message.loadedSources])


class Deployer(Actor):
    """("deploy", path, class, question): loads the source, creates an actor from it at
    once (the source is still being validated) and asks it ``question``; the answer
    (or "child exited") goes back to the requester."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("deploy",):
            _, path, cls, question = message
            self.requester = sender
            digest = self.loadActorSource(path)
            child = self.createActor(cls, sourceHash=digest)
            self.send(child, question)  # held until the child exists
        elif type(message).__name__ == "ChildActorExited":
            self.send(self.requester, "child exited")
        elif type(message).__name__ == "PoisonMessage":
            self.send(self.requester, "poisoned")
        else:
            self.send(self.requester, message)
