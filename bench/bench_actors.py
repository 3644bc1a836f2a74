"""Actor classes shared by every workload, for both implementations.

The actor API is imported from the module named by ``BENCH_IMPL``
(``thespian`` -> ``thespian.actors``, ``actorcore`` -> ``actorcore.actors``)
so that Thespian and actorcore run literally the same actor code.  The
classes live at module level in an importable module (not ``__main__``)
because the multiprocess bases import them by name in child processes; the
driver puts this folder on ``PYTHONPATH`` and sets ``BENCH_IMPL`` for them.
"""

from __future__ import annotations

import importlib
import os
import time
from typing import Any

IMPLS = {"thespian": "thespian.actors", "actorcore": "actorcore.actors"}

#: The implementation's ``actors`` module (``ActorSystem``, ``Actor``, ...).
api = importlib.import_module(IMPLS[os.environ.get("BENCH_IMPL", "actorcore")])
Actor = api.Actor
ActorExitRequest = api.ActorExitRequest
ActorSystemMessage = api.ActorSystemMessage


class Echo(Actor):  # type: ignore[misc, valid-type]
    """Replies with the message itself (ask, bigmsg, spawn pings)."""

    def receiveMessage(self, message: Any, sender: Any) -> None:
        if isinstance(message, ActorSystemMessage):
            return
        self.send(sender, message)


class Ponger(Actor):  # type: ignore[misc, valid-type]
    """pingpong's passive side: bounces counter + 1 to whoever sent it."""

    def receiveMessage(self, message: Any, sender: Any) -> None:
        if type(message) is int:
            self.send(sender, message + 1)


class Pinger(Actor):  # type: ignore[misc, valid-type]
    """pingpong's active side.

    ``("start", peer, n)`` (a tell) starts the bounce; ``"done?"`` (an ask)
    is answered with the number of messages exchanged once the counter has
    reached ``n`` (at once if it already has, as on the simple base where the
    starting tell runs the whole bounce before returning).
    """

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.n = 0
        self.peer: Any = None
        self.final: int | None = None
        self.waiter: Any = None

    def receiveMessage(self, message: Any, sender: Any) -> None:
        if type(message) is int:
            if message >= self.n:
                self.final = message + 1  # messages 0..message were sent
                if self.waiter is not None:
                    self.send(self.waiter, self.final)
            else:
                self.send(self.peer, message + 1)
        elif isinstance(message, tuple) and message[0] == "start":
            _, self.peer, self.n = message
            self.send(self.peer, 0)
        elif message == "done?":
            if self.final is not None:
                self.send(sender, self.final)
            else:
                self.waiter = sender


class FanoutChild(Actor):  # type: ignore[misc, valid-type]
    """Replies to every request with a small token."""

    def receiveMessage(self, message: Any, sender: Any) -> None:
        if type(message) is int:
            self.send(sender, message)


class FanoutParent(Actor):  # type: ignore[misc, valid-type]
    """fanout: ``("go", k, m)`` (an ask) creates k children, sends each m
    requests with at most ``WINDOW`` outstanding per child, and answers with
    a dict of timings measured inside the actor.

    Phase 1 (creation): create k children and send each one ping; it ends
    when all k have replied, so it counts the child being able to serve,
    not just an address being handed out (multiprocess bases create
    asynchronously).  Phase 2 (traffic): the remaining requests; replies are
    counted too.
    """

    WINDOW = 5

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.asker: Any = None
        self.children: list[Any] = []
        self.sent: list[int] = []
        self.replies = 0
        self.expected = 0
        self.created_replies = 0
        self.m = 0
        self.t0 = self.t1 = 0.0

    def receiveMessage(self, message: Any, sender: Any) -> None:
        if type(message) is int:
            self._on_reply(message, sender)
        elif isinstance(message, tuple) and message[0] == "go":
            _, k, self.m = message
            self.asker = sender
            self.t0 = time.perf_counter()
            self.children = [self.createActor(FanoutChild) for _ in range(k)]
            self.sent = [1] * k
            for i, child in enumerate(self.children):
                self.send(child, i)  # the child's index travels as the payload

    def _on_reply(self, idx: int, sender: Any) -> None:
        k = len(self.children)
        if self.t1 == 0.0:
            # Phase 1: waiting for every child's first reply.
            self.created_replies += 1
            if self.created_replies < k:
                return
            self.t1 = time.perf_counter()
            self.expected = k * (self.m - 1)
            for i, child in enumerate(self.children):
                for _ in range(min(self.WINDOW, self.m - 1)):
                    self.sent[i] += 1
                    self.send(child, i)
            if self.expected <= 0:
                self._finish()
            return
        self.replies += 1
        if self.sent[idx] < self.m:
            self.sent[idx] += 1
            self.send(self.children[idx], idx)
        if self.replies == self.expected:
            self._finish()

    def _finish(self) -> None:
        t2 = time.perf_counter()
        self.send(
            self.asker,
            {
                "children": len(self.children),
                "create_s": self.t1 - self.t0,
                "traffic_s": t2 - self.t1,
                "traffic_messages": 2 * self.expected,
            },
        )
