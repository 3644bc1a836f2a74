"""Actors with async handlers (docs/api.md §9.3, docs/asyncio.md)."""
from __future__ import annotations

import asyncio

from actorcore.actors import (
    Actor,
    ActorAddress,
    ActorExitRequest,
    ActorSystemFailure,
    ActorSystemRequestTimeout,
    ActorTypeDispatcher,
    ChildActorExited,
    WakeupMessage,
)
from actorcore.initmsgs import initializing_messages
from actorcore.transient import transient
from actorcore.troupe import troupe

from .basic import Echo
from .decorated import me
from .failures import KaboomError

LOG = ("log?",)


class Recorder(Actor):
    """("work", tag, delay): sleeps ``delay`` then records ``tag``; records how
    many handlers ran at once. LOG answers (tags in order, most at once)."""

    def __init__(self):
        super().__init__()
        self.log = []
        self.running = self.most = 0

    async def receiveMessage(self, message, sender):
        if message == LOG:
            self.send(sender, (list(self.log), self.most))
            return
        if isinstance(message, tuple) and message[:1] == ("work",):
            _, tag, delay = message
            self.running += 1
            self.most = max(self.most, self.running)
            try:
                await asyncio.sleep(delay)
                self.log.append(tag)
            finally:
                self.running -= 1


class HoldsWhileSuspended(Actor):
    """"go": asks for a wakeup, makes a child and asks it to exit, sends
    itself "mine", then stays suspended a while; records what it gets after."""

    def __init__(self):
        super().__init__()
        self.log = []

    async def receiveMessage(self, message, sender):
        if message == LOG:
            self.send(sender, list(self.log))
        elif message == "go":
            self.wakeupAfter(0.01, "w")
            child = self.createActor(Echo)
            self.send(child, ActorExitRequest())
            self.send(self.myAddress, "mine")
            await asyncio.sleep(0.5)
            self.log.append("handler done")
            self.send(sender, "went")
        elif isinstance(message, WakeupMessage):
            self.log.append("wakeup")
        elif isinstance(message, ChildActorExited):
            self.log.append("child exited")
        elif message == "mine":
            self.log.append("mine")


class Cancellable(Actor):
    """("wait", reporter): suspends for good; reports its cancellation and
    then the exit request to ``reporter``."""

    reporter = None

    async def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("wait",):
            self.reporter = message[1]
            self.send(sender, "waiting")
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.send(self.reporter, "cancelled")
                raise
        elif isinstance(message, ActorExitRequest) and self.reporter is not None:
            self.send(self.reporter, "exit request")


class Stuck(Actor):
    """Any message: suspends for good, ignoring cancellation once (a handler
    that never returns)."""

    async def receiveMessage(self, message, sender):
        if message == "hang":
            self.send(sender, "hanging")
            while True:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    await asyncio.sleep(3600)  # ignores it: the exit must not wait for it forever


class AsyncFails(Actor):
    """"boom": fails after an await; "count?": the attempts so far."""

    def __init__(self):
        super().__init__()
        self.attempts = 0

    async def receiveMessage(self, message, sender):
        if message == "boom":
            self.attempts += 1
            await asyncio.sleep(0)
            raise ValueError("async boom")
        if message == "count?":
            self.send(sender, self.attempts)


class Asker(Actor):
    """("ask", target, msg, timeout): ``await self.ask`` and answer ("ok",
    reply) / ("timeout", text) / ("failed", type, text); with a fifth item,
    send (msg, that answer) there instead. ("gather", target, msgs): asks them
    all at once. "ping": "pong". LOG: what came as ordinary messages."""

    def __init__(self):
        super().__init__()
        self.log = []

    async def receiveMessage(self, message, sender):
        if message == "ping":
            self.send(sender, "pong")
            return
        if not isinstance(message, tuple):
            self.log.append(message)
            return
        kind = message[0]
        if kind == "ask":
            _, target, msg, timeout, *rest = message
            result = await self._ask(target, msg, timeout)
            if rest:  # one of many askers: say what was asked too
                self.send(rest[0], (msg, result))
            else:
                self.send(sender, result)
        elif kind == "gather":
            _, target, msgs = message
            replies = await asyncio.gather(*(self.ask(target, m, timeout=10) for m in msgs))
            self.send(sender, list(replies))
        elif kind == "late":
            _, target = message
            first = await self._ask(target, ("sleep", 0.5, "late"), 0.1)
            second = await self._ask(target, ("sleep", 0, "fresh"), 10)
            self.send(sender, (first[0], second))
        elif kind == "timeouts":
            # a long ask first, then a short one: the short one's deadline comes
            # first although its ask was made second; then one that is answered
            _, silent, echo = message
            long_ = asyncio.ensure_future(self.ask(silent, "never", timeout=60))  # sent (and timed) at the call
            short = await self._ask(silent, "never", 0.3)
            answered = await self._ask(echo, "yes", 10)
            long_.cancel()
            await asyncio.gather(long_, return_exceptions=True)
            self.send(sender, (short[0], answered))
        elif message == LOG:
            self.send(sender, list(self.log))
        else:
            self.log.append(message)

    async def _ask(self, target, msg, timeout):
        try:
            return ("ok", await self.ask(target, msg, timeout=timeout))
        except ActorSystemRequestTimeout as exc:
            return ("timeout", str(exc))
        except ActorSystemFailure as exc:
            return ("failed", type(exc).__name__, str(exc))


class Sleeper(Actor):
    """("sleep", seconds, answer): answers after ``seconds`` of asyncio.sleep."""

    async def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("sleep",):
            _, seconds, answer = message
            await asyncio.sleep(seconds)
            self.send(sender, answer)


class BadAsks(Actor):
    """Tries the asks that must fail at once and reports each exception's type and text."""

    async def receiveMessage(self, message, sender):
        if message == "non-address":
            try:
                await self.ask("not an address", "hi", timeout=5)
            except Exception as exc:
                self.send(sender, (type(exc).__name__, str(exc)))
        elif isinstance(message, tuple) and message[:1] == ("bad timeouts",):
            out = []
            for timeout in ("soon", float("nan"), -1.0):  # -1: no wait at all, as zero
                try:
                    await self.ask(message[1], "hi", timeout=timeout)
                    out.append("answered")
                except Exception as exc:
                    out.append(type(exc).__name__)
            self.send(sender, out)
        elif isinstance(message, tuple) and message[:1] == ("unpicklable",):
            try:
                await self.ask(message[1], lambda: None, timeout=30)
                self.send(sender, ("no error",))
            except Exception as exc:
                self.send(sender, (type(exc).__name__, str(exc)))


class PlainAsks(Actor):
    """A plain handler calling self.ask: reports the exception."""

    def receiveMessage(self, message, sender):
        try:
            self.ask(self.myAddress, "hi", timeout=1)
            self.send(sender, ("no error",))
        except Exception as exc:
            self.send(sender, (type(exc).__name__, str(exc)))


class FetchLine(Actor):
    """("fetch", host, port, line): a line sent to a TCP server and its answer, over asyncio streams."""

    async def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("fetch",):
            _, host, port, line = message
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(line.encode() + b"\n")
                await writer.drain()
                answer = await asyncio.wait_for(reader.readline(), 10)
            finally:
                writer.close()
                await writer.wait_closed()
            self.send(sender, answer.decode().strip())


class BaseHandlers(ActorTypeDispatcher):
    """A plain handler for ints, and one for strings the subclass passes on."""

    def receiveMsg_int(self, message, sender):
        self.send(sender, ("int", message + 1))

    def receiveMsg_str(self, message, sender):
        self.send(sender, ("base str", message))


class Mixed(BaseHandlers):
    """async receiveMsg_str (passing "super" on with SUPER after an await),
    an async receiveMsg_float, and the inherited plain int handler."""

    async def receiveMsg_str(self, message, sender):
        await asyncio.sleep(0)
        if message == "super":
            return self.SUPER
        self.send(sender, ("async str", message))

    async def receiveMsg_float(self, message, sender):
        reply = await self.ask(self.createActor(Echo), message, timeout=10)
        self.send(sender, ("float", reply))


class OverridesSend(Actor):
    """Its class overrides send (tagging what it sends); answers what it gets."""

    def send(self, targetAddr, msg):
        super().send(targetAddr, ("tagged", msg))

    def receiveMessage(self, message, sender):
        if isinstance(message, str):
            self.send(sender, message)


# -- the helper decorators on async handlers (troupe, transient, initmsgs) ---------


@troupe(max_count=3, idle_count=1, dismiss_after=0.1)
class AsyncSlowWorker(Actor):
    """("work", seconds, collector): reports ("start", who), awaits ``seconds``,
    then reports ("end", who). Idle workers beyond one are dismissed after 0.1 s."""

    async def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[:1] == ("work",):
            _, seconds, collector = message
            self.send(collector, ("start", me(self)))
            await asyncio.sleep(seconds)
            self.send(collector, ("end", me(self)))


@transient(0.3)
class AsyncFleeting(Actor):
    async def receiveMessage(self, message, sender):
        if message == "ping":
            await asyncio.sleep(0)
            self.send(sender, "pong")


@initializing_messages([("peer", ActorAddress)])
class AsyncConfigured(Actor):
    """Held until it has a peer; then reports each string as ("handled", s)
    after an await; "bad" raises after the await."""

    async def receiveMessage(self, message, sender):
        if isinstance(message, str):
            await asyncio.sleep(0.01)
            if message == "bad":
                raise KaboomError("held async message fails")
            self.send(self.peer, ("handled", message))
