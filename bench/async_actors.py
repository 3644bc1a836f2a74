"""Actors of the asyncio benchmark (bench/asyncio_bench.py); importable by
actor processes, so they live in a module of their own."""
from __future__ import annotations

import time
from typing import Any

from actorcore.actors import Actor


class Answer(Actor):
    """Replies to an int with the int."""

    def receiveMessage(self, message: Any, sender: Any) -> None:
        if type(message) is int:
            self.send(sender, message)


class AwaitAsker(Actor):
    """("go", target, n): n round trips with ``await self.ask``; answers the seconds."""

    async def receiveMessage(self, message: Any, sender: Any) -> None:
        if isinstance(message, tuple) and message[:1] == ("go",):
            _, target, n = message
            started = time.perf_counter()
            for i in range(n):
                if await self.ask(target, i, timeout=60) != i:
                    raise RuntimeError("wrong reply")
            self.send(sender, time.perf_counter() - started)


class CallbackAsker(Actor):
    """The same exchange written Thespian-style: the next request goes out
    from the branch that receives the reply."""

    def receiveMessage(self, message: Any, sender: Any) -> None:
        if isinstance(message, tuple) and message[:1] == ("go",):
            _, self.target, self.n = message
            self.waiter, self.started = sender, time.perf_counter()
            self.send(self.target, 0)
        elif type(message) is int:
            if message + 1 >= self.n:
                self.send(self.waiter, time.perf_counter() - self.started)
            else:
                self.send(self.target, message + 1)
