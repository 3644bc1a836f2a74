"""Actors for tests/test_big_messages.py: big buffers between actors and clients."""
from __future__ import annotations

import hashlib
import os
import time

from actorcore.actors import Actor, ActorExitRequest, PoisonMessage, requireCapability


def payload(size: int, seed: int = 1) -> bytes:
    """``size`` bytes that differ from those of another seed."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def counts() -> dict[str, int]:
    """This process's shared-memory files written and claimed."""
    try:
        from actorcore._core.runtime import shmem
    except ImportError:
        return {}
    return dict(shmem.COUNTS)


def peak_rss() -> int:
    """This process's peak resident set size (VmHWM), in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def digest(value) -> str:
    return hashlib.sha256(memoryview(value).cast("B")).hexdigest()


class BigEcho(Actor):
    """A buffer comes back as it came; ("kind", x) says what type x arrived as."""

    def receiveMessage(self, message, sender):
        if isinstance(message, ActorExitRequest):
            return
        if isinstance(message, str) and message == "counts?":
            self.send(sender, counts())
        elif isinstance(message, str) and message == "pid?":
            self.send(sender, os.getpid())
        elif isinstance(message, str) and message == "peak?":
            self.send(sender, peak_rss())
        elif isinstance(message, tuple) and message[:1] == ("kind",):
            value = message[1]
            self.send(sender, (type(value).__name__, type(value).__module__, digest(value)))
        else:
            self.send(sender, message)


@requireCapability("gpu")
class GpuBigEcho(BigEcho):
    """A BigEcho that runs only on a system with the "gpu" capability."""


class Relay(Actor):
    """("via", echo, size, kind): sends a buffer of ``size`` to ``echo``
    (bytes, bytearray or memoryview), checks what comes back, and tells the
    asker (True or why not, and its own counts). With ``echo`` None, to a
    GpuBigEcho child it creates."""

    def receiveMessage(self, message, sender):
        if isinstance(message, ActorExitRequest):
            return
        if isinstance(message, tuple) and message[:1] == ("via",):
            _via, echo, size, kind = message
            if echo is None:  # a child of ours, placed wherever its capability is
                echo = self.createActor(GpuBigEcho)
            self.asker = sender
            data = payload(size, 7)
            self.want = data
            self.send(echo, {"bytes": bytes, "bytearray": bytearray, "memoryview": memoryview}[kind](data))
        elif isinstance(message, PoisonMessage):
            self.send(self.asker, ("poison", message.details, counts()))
        elif isinstance(message, (bytes, bytearray, memoryview)):
            self.send(self.asker, (bytes(message) == self.want, type(message).__name__, counts()))


class Mutator(Actor):
    """("mutate", target, size): sends a bytearray of ``size`` to ``target``,
    then overwrites it at once; replies "sent"."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("mutate",):
            _m, target, size = message
            buf = bytearray(payload(size, 3))
            self.send(target, buf)
            buf[:] = b"\xff" * size
            self.send(sender, "sent")


class Holder(Actor):
    """Keeps every buffer it gets; "digests?" lists theirs; "sleep" blocks
    for the number of seconds given (so what comes meanwhile stays unread)."""

    def receiveMessage(self, message, sender):
        if isinstance(message, ActorExitRequest):
            return
        held = self.__dict__.setdefault("held", [])
        if isinstance(message, tuple) and message[:1] == ("sleep",):
            time.sleep(message[1])
        elif message == "digests?":
            self.send(sender, [digest(h) for h in held])
        elif message == "pid?":
            self.send(sender, os.getpid())
        elif message == "count?":
            self.send(sender, len(held))
        elif isinstance(message, (bytes, bytearray, memoryview)):
            held.append(message)


class Spammer(Actor):
    """("spam", target, n, size): sends ``n`` buffers of ``size`` to ``target``
    and replies with its pid; then it is meant to be killed."""

    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("spam",):
            _s, target, n, size = message
            for i in range(n):
                self.send(target, payload(size, i))
            self.send(sender, os.getpid())
