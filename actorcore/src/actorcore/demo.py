"""The job behind ``actorcore demo``: a word count spread over a few worker actors.

Actors and messages live at module level, and every message is plain
picklable data, so the same job runs unchanged on the multiprocess bases
(which import actor classes by name and pickle what they send).
"""

from __future__ import annotations

import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from .actors import (
    ActorAddress,
    ActorExitRequest,
    ActorSystem,
    ActorSystemException,
    ActorTypeDispatcher,
    ChildActorExited,
    PoisonMessage,
    Thespian_ActorStatus,
    Thespian_StatusReq,
    WakeupMessage,
)

DEFAULT_BASE = "simpleSystemBase"
#: How long the last worker "thinks" before replying, via wakeupAfter.
PAUSE = 0.05
#: The coordinator gives up on a job after this long (a wakeup, too).
DEADLINE = 5.0
#: How long the demo waits for the coordinator's report.
ASK_TIMEOUT = 15.0

TEXT = """\
An actor keeps its state to itself and answers one message at a time.
It may send a message, create an actor, or decide how to treat the next one.
No actor reads another actor's state; every question is a message.
A parent creates its children and is told when any child exits.
A message that fails twice comes back to its sender as a poison message.
A wakeup is a message an actor sends to itself for later.
The simple base runs every actor in the caller's thread, one message at a time.
The multiprocess bases run each actor in its own process.
The same actor code runs on every base without a change.
"""

_WORD = re.compile(r"[a-z']+")


def count_words(lines: tuple[str, ...] | list[str]) -> Counter[str]:
    """Words per lower-cased word: the reference the actors must agree with."""
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(w.strip("'") for w in _WORD.findall(line.lower()) if w.strip("'"))
    return counts


def split_lines(text: str, parts: int) -> list[list[str]]:
    """``text``'s non-empty lines in ``parts`` contiguous, nearly equal slices."""
    lines = [line for line in text.splitlines() if line.strip()]
    parts = max(1, min(parts, len(lines) or 1))
    size, extra = divmod(len(lines), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(lines[start:end])
        start = end
    return out


# -- messages ----------------------------------------------------------------
@attrs.frozen
class CountWords:
    """Ask the coordinator to count ``text`` with ``workers`` worker actors."""

    text: str
    workers: int = 3


@attrs.frozen
class Chunk:
    """One worker's share of the text."""

    index: int
    lines: tuple[str, ...]
    pause: float = 0.0


@attrs.frozen
class ChunkCounted:
    """A worker's answer."""

    index: int
    counts: dict[str, int]
    lines: int
    paused: float


@attrs.frozen
class WordCountReport:
    """The coordinator's answer: the merged counts and what it did, in order."""

    ok: bool
    counts: dict[str, int]
    narrative: tuple[str, ...]


# -- actors ------------------------------------------------------------------
class WordCountWorker(ActorTypeDispatcher):
    """Counts the words of one chunk; a chunk with a pause replies via a wakeup."""

    def receiveMsg_Chunk(self, chunk: Chunk, sender: ActorAddress) -> None:
        result = ChunkCounted(
            index=chunk.index,
            counts=dict(count_words(chunk.lines)),
            lines=len(chunk.lines),
            paused=chunk.pause,
        )
        if chunk.pause > 0:
            # The reply waits in the wakeup's payload: the worker stays free
            # to handle other messages meanwhile, instead of sleeping.
            self.wakeupAfter(timedelta(seconds=chunk.pause), payload=(sender, result))
        else:
            self.send(sender, result)

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender: ActorAddress) -> None:
        parent, result = msg.payload
        self.send(parent, result)


class WordCountCoordinator(ActorTypeDispatcher):
    """Splits a text among worker children, merges their counts, dismisses
    them, and reports once every child has exited."""

    def __init__(self) -> None:
        super().__init__()
        self._requester: ActorAddress | None = None
        self._workers: list[ActorAddress] = []
        self._counted: set[int] = set()
        self._exited: set[int] = set()
        self._counts: Counter[str] = Counter()
        self._notes: list[str] = []
        self._t0 = 0.0

    def _note(self, text: str) -> None:
        ms = (time.monotonic() - self._t0) * 1000.0
        self._notes.append(f"[{ms:7.1f} ms] {text}")

    def _worker_index(self, addr: ActorAddress) -> int | None:
        # Addresses compare with == but are not hashable (docs/api.md §2.16).
        for i, worker in enumerate(self._workers):
            if worker == addr:
                return i
        return None

    def _finish(self, ok: bool) -> None:
        if self._requester is None:
            return
        report = WordCountReport(ok=ok, counts=dict(self._counts), narrative=tuple(self._notes))
        self.send(self._requester, report)
        self._requester = None

    def receiveMsg_CountWords(self, msg: CountWords, sender: ActorAddress) -> None:
        if self._requester is not None:
            self.send(sender, WordCountReport(False, {}, ("busy with another job",)))
            return
        self._t0 = time.monotonic()
        self._requester = sender
        self._workers, self._counted, self._exited = [], set(), set()
        self._counts = Counter()
        self._notes = []
        chunks = split_lines(msg.text, msg.workers)
        for i, lines in enumerate(chunks):
            worker = self.createActor(WordCountWorker)
            self._workers.append(worker)
            pause = PAUSE if i == len(chunks) - 1 else 0.0
            self._note(
                f"created worker {i + 1} and sent it {len(lines)} line(s)"
                + (f"; it will reply {PAUSE * 1000:.0f} ms later (wakeupAfter)" if pause else "")
            )
            self.send(worker, Chunk(index=i, lines=tuple(lines), pause=pause))
        self.wakeupAfter(timedelta(seconds=DEADLINE), payload="deadline")
        self._note(f"set a {DEADLINE:.0f} s deadline for the whole job (wakeupAfter)")

    def receiveMsg_ChunkCounted(self, msg: ChunkCounted, sender: ActorAddress) -> None:
        if self._requester is None or msg.index in self._counted:
            return
        self._counted.add(msg.index)
        self._counts.update(msg.counts)
        words = sum(msg.counts.values())
        waited = f" after its {msg.paused * 1000:.0f} ms pause" if msg.paused else ""
        self._note(f"worker {msg.index + 1} counted {words} words in {msg.lines} line(s){waited}")
        if len(self._counted) == len(self._workers):
            self._note("all counts are in; asking every worker to exit (ActorExitRequest)")
            for worker in self._workers:
                self.send(worker, ActorExitRequest())

    def receiveMsg_ChildActorExited(self, msg: ChildActorExited, sender: ActorAddress) -> None:
        index = self._worker_index(msg.childAddress)
        if index is None or index in self._exited:
            return
        self._exited.add(index)
        self._note(f"worker {index + 1} exited (ChildActorExited)")
        if len(self._exited) == len(self._workers) and len(self._counted) == len(self._workers):
            self._note("every worker is gone; sending the report")
            self._finish(ok=True)

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender: ActorAddress) -> None:
        if msg.payload == "deadline" and self._requester is not None:
            self._note(f"deadline passed with {len(self._counted)}/{len(self._workers)} counts")
            self._finish(ok=False)


# -- the demo itself ---------------------------------------------------------
def _how_many(field: Any) -> int:
    # Status contents are informational (docs/api.md §4.6): a base may report a
    # list of items or just their number.
    try:
        return len(field)
    except TypeError:
        return int(field or 0)


def _status_line(status: Any) -> str:
    if not isinstance(status, Thespian_ActorStatus):
        return "status: the base did not answer Thespian_StatusReq (informational only)"
    name = str(status.actorClass or "actor").rpartition(".")[2]
    return (
        f"status: the coordinator ({name}) has {_how_many(status.childActors)} live "
        f"children and {_how_many(status.pendingWakeups)} pending wakeup(s) "
        "(its unused deadline)"
    )


def run(
    base: str = DEFAULT_BASE,
    workers: int = 3,
    text: str = TEXT,
    capabilities: dict[str, Any] | None = None,
    out: Callable[[str], None] = print,
    err: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> int:
    """Run the word count on ``base`` and narrate it; returns a process exit code."""
    expected = count_words(text.splitlines())
    nlines = sum(1 for line in text.splitlines() if line.strip())
    workers = len(split_lines(text, workers))  # no idle workers for a short text
    out(f"actorcore demo: counting words with {workers} worker actor(s) on {base}")
    t0 = time.monotonic()
    try:
        asys = ActorSystem(base, capabilities, logDefs=False, transientUnique=True)
    except ImportError as exc:  # the base's distribution is not installed
        err(f"actorcore demo: cannot start {base}: {exc}")
        return 1
    except ActorSystemException as exc:
        err(f"actorcore demo: cannot start {base}: {exc}")
        return 1
    try:
        out(f"  started {base} in {(time.monotonic() - t0) * 1000:.1f} ms")
        coordinator = asys.createActor(WordCountCoordinator)
        out(f"  created the coordinator at {coordinator}")
        out(f"  asking it to count {sum(expected.values())} words in {nlines} lines ...")
        reply = asys.ask(coordinator, CountWords(text, workers), timeout=ASK_TIMEOUT)
        if reply is None:
            err(f"actorcore demo: no report from the coordinator within {ASK_TIMEOUT:.0f} s")
            return 1
        if isinstance(reply, PoisonMessage):
            err(f"actorcore demo: the coordinator failed on the job:\n{reply.details}")
            return 1
        if not isinstance(reply, WordCountReport):
            err(f"actorcore demo: unexpected reply {reply!r}")
            return 1
        out("  what the coordinator did:")
        for line in reply.narrative:
            out(f"    {line}")
        out("  " + _status_line(asys.ask(coordinator, Thespian_StatusReq(), timeout=5)))
        if not reply.ok:
            err("actorcore demo: the job did not finish before its deadline")
            return 1
        counts = Counter(reply.counts)
        top = ", ".join(f"{w} ({n})" for w, n in counts.most_common(5))
        out(f"  result: {sum(counts.values())} words, {len(counts)} distinct; most common: {top}")
        if counts != expected:
            err("actorcore demo: the actors' count differs from a direct count")
            return 1
        out("  check: the merged count matches a direct single-process count")
    except ActorSystemException as exc:
        err(f"actorcore demo: {type(exc).__name__}: {exc}")
        return 1
    except Exception:  # a bug, not a user error: say so, with the traceback
        err(f"actorcore demo: failed unexpectedly on {base}:\n{traceback.format_exc()}")
        return 1
    finally:
        t1 = time.monotonic()
        asys.shutdown()
        out(f"  shut the system down in {(time.monotonic() - t1) * 1000:.1f} ms")
    out("actorcore demo: done")
    return 0
