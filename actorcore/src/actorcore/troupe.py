"""Troupes: one actor address in front of a pool of workers of the same class
(docs/api.md §1.3; Thespian's ``thespian.troupe``).

The first instance to get an ordinary message becomes the troupe's manager:
it never runs the class's own code for work, but hands each message to one
worker, a child it creates on demand (at most ``max_count`` at once) and
dismisses when more than ``idle_count`` have had nothing to do for a while.
Built on the public actor API only; it knows nothing of bases or transports.

    from actorcore.troupe import troupe

    @troupe(max_count=8, idle_count=2)
    class Resizer(Actor):
        def receiveMessage(self, message, sender):
            ...

A worker that must exchange messages (or wait for a wakeup) before its job is
finished sets ``self.troupe_work_in_progress = True`` and resets it to
``False`` when done; until then it gets no new job and is not dismissed.
"""
from __future__ import annotations

import inspect
import time
from collections import deque
from datetime import timedelta
from typing import Any, Callable, Coroutine

import attrs

from ._core.decorating import Receive, period_seconds, whole_number, wrap_receive
from .actors import (
    Actor,
    ActorAddress,
    ActorExitRequest,
    ActorSystemMessage,
    ChildActorExited,
    PoisonMessage,
    WakeupMessage,
)

__all__ = ["troupe", "UpdateTroupeSettings", "DISMISS_EXTRA_PERIOD"]

#: How long workers beyond ``idle_count`` may sit idle before they are dismissed.
DISMISS_EXTRA_PERIOD = timedelta(seconds=2)

#: A job whose worker died this many times goes back to its sender as a
#: PoisonMessage instead of to yet another worker (a job that kills every
#: process it reaches must not make the troupe spawn forever).
WORKER_DEATHS_PER_JOB = 2

STATUS_REQUEST = "troupe:status?"
SET_MAX_COUNT = "troupe:set_max_count="
SET_IDLE_COUNT = "troupe:set_idle_count="


class UpdateTroupeSettings:
    """Send to a troupe to change its limits; ``None`` leaves a limit as it is.

    The troupe answers with an ``UpdateTroupeSettings`` holding the limits in
    effect afterwards, so ``UpdateTroupeSettings()`` simply asks for them.
    """

    def __init__(self, max_count: int | None = None, idle_count: int | None = None) -> None:
        if max_count is not None:
            whole_number(max_count, "UpdateTroupeSettings max_count", 1)
        if idle_count is not None:
            whole_number(idle_count, "UpdateTroupeSettings idle_count", 0)
        self.max_count = max_count
        self.idle_count = idle_count

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, UpdateTroupeSettings)
            and (self.max_count, self.idle_count) == (other.max_count, other.idle_count)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like Thespian's

    def __repr__(self) -> str:
        return f"UpdateTroupeSettings(max_count={self.max_count!r}, idle_count={self.idle_count!r})"


@attrs.define(eq=False)
class _TroupeWork:
    """A job handed from the manager to one worker: the message and its real sender."""

    ident: int
    message: Any
    sender: ActorAddress


@attrs.define(eq=False)
class _TroupeWorkDone:
    """A worker telling its manager it has finished job ``ident``."""

    ident: int


@attrs.frozen
class _DismissTimer:
    """Payload of the manager's own wakeups (checks for surplus idle workers)."""


_DISMISS = _DismissTimer()


def troupe(
    max_count: int = 10,
    idle_count: int = 2,
    *,
    dismiss_after: timedelta | float = DISMISS_EXTRA_PERIOD,
) -> Callable[[type], type]:
    """Make the decorated Actor class a troupe (a pool of workers behind one address).

    ``max_count`` (>= 1) bounds the workers alive at once; jobs beyond them
    wait, in arrival order, for a worker to finish. ``idle_count`` (>= 0) is
    how many workers are kept when there is no work; more than that, idle for
    ``dismiss_after`` (an actorcore addition; Thespian's fixed 2 s is the
    default), are sent ``ActorExitRequest``.

    A job whose handler raises twice comes back to its sender as
    ``PoisonMessage(job)``; the worker carries on with the next job.
    """
    max_count = whole_number(max_count, "troupe max_count", 1)
    idle_count = whole_number(idle_count, "troupe idle_count", 0)
    dismiss_seconds = period_seconds(dismiss_after, "troupe dismiss_after")

    def make(original: Receive) -> Receive:
        def receiveMessage(self: Actor, message: Any, sender: ActorAddress) -> Any:
            role = self.__dict__.get("_troupe_role")
            if role is None:
                if isinstance(message, _TroupeWork):
                    role = self._troupe_role = _Worker()  # type: ignore[attr-defined]
                elif isinstance(message, ActorSystemMessage):
                    # Not yet a manager or a worker: nothing for a troupe to do.
                    return original(self, message, sender)
                else:
                    role = self._troupe_role = _Manager(  # type: ignore[attr-defined]
                        max_count, idle_count, dismiss_seconds
                    )
            return role.receive(self, original, message, sender)

        return receiveMessage

    return lambda cls: wrap_receive(cls, "troupe", make)


class _Worker:
    """A worker's side: run the class's code on each job, then report it done."""

    def __init__(self) -> None:
        self.manager: ActorAddress | None = None
        self.job: int | None = None

    def receive(self, actor: Any, original: Receive, message: Any, sender: ActorAddress) -> Any:
        if isinstance(message, _TroupeWork):
            self.manager = sender
            self.job = message.ident
            # The manager only hands a job to a worker it believes free, so a
            # flag left set by a job that raised is stale.
            actor.troupe_work_in_progress = False
            result = original(actor, message.message, message.sender)
            if inspect.iscoroutine(result):  # an async handler: done when it has finished
                return self._report_after(actor, result)
            self._report(actor)
            return result
        was_busy = getattr(actor, "troupe_work_in_progress", False)
        result = original(actor, message, sender)
        if was_busy:
            self._report(actor)
        return result

    async def _report_after(self, actor: Any, handling: Coroutine[Any, Any, Any]) -> Any:
        result = await handling  # a failure is the manager's through the PoisonMessage
        self._report(actor)
        return result

    def _report(self, actor: Any) -> None:
        if self.job is not None and not getattr(actor, "troupe_work_in_progress", False):
            actor.send(self.manager, _TroupeWorkDone(self.job))
            self.job = None


class _Manager:
    """The manager's side: the queue of jobs and the worker pool."""

    def __init__(self, max_count: int, idle_count: int, dismiss_after: float) -> None:
        self.max_count = max_count
        self.idle_count = idle_count
        self.dismiss_after = dismiss_after
        self.workers: list[ActorAddress] = []  # alive, including those told to leave
        self.leaving: list[ActorAddress] = []
        self.idle: list[tuple[ActorAddress, float]] = []  # (worker, idle since), oldest first
        self.busy: dict[int, tuple[ActorAddress, _TroupeWork]] = {}
        self.pending: deque[_TroupeWork] = deque()
        self.deaths: dict[int, int] = {}  # job ident -> workers that died on it
        self.next_ident = 0
        self.timer_set = False
        self.closed = False

    # -- messages ------------------------------------------------------------
    def receive(self, actor: Any, original: Receive, message: Any, sender: ActorAddress) -> Any:
        if self.closed:
            return None
        if isinstance(message, ActorSystemMessage):
            return self._system(actor, original, message, sender)
        if isinstance(message, _TroupeWorkDone):
            entry = self.busy.pop(message.ident, None)
            if entry is not None:
                self.deaths.pop(message.ident, None)
                self._free(actor, entry[0])
        elif isinstance(message, UpdateTroupeSettings):
            self._settings(actor, message.max_count, message.idle_count)
            actor.send(sender, UpdateTroupeSettings(self.max_count, self.idle_count))
        elif isinstance(message, str) and message.startswith("troupe:") and self._control(
            actor, message, sender
        ):
            pass
        elif isinstance(message, _TroupeWork):  # a job forwarded from another troupe
            self._add(actor, message.message, message.sender)
        else:
            self._add(actor, message, sender)
        return None

    def _system(self, actor: Any, original: Receive, message: Any, sender: ActorAddress) -> Any:
        if isinstance(message, ChildActorExited) and self._is_worker(message.childAddress):
            self._worker_gone(actor, message.childAddress)
        elif isinstance(message, WakeupMessage) and message.payload == _DISMISS:
            self.timer_set = False
            self._dismiss_idle(actor)
        elif isinstance(message, PoisonMessage) and isinstance(message.poisonMessage, _TroupeWork):
            self._job_failed(actor, message.poisonMessage, message.details)
        elif isinstance(message, ActorExitRequest):
            self._close(actor)
        else:  # not the troupe's business: the class's own code decides
            return original(actor, message, sender)
        return None

    def _control(self, actor: Any, message: str, sender: ActorAddress) -> bool:
        """Answer a string control; False when ``message`` is not one (then it is a job)."""
        if message == STATUS_REQUEST:
            actor.send(sender, self.status(type(actor).__name__))
            return True
        for prefix, name, least in ((SET_MAX_COUNT, "max_count", 1), (SET_IDLE_COUNT, "idle_count", 0)):
            if message.startswith(prefix):
                text = message[len(prefix) :].strip()
                try:
                    value = int(text)
                    if value < least:
                        raise ValueError(f"must be at least {least}")
                except ValueError as exc:
                    actor.send(
                        sender,
                        f"Troupe {name} left at {getattr(self, name)}: {text!r} is not a "
                        f"whole number of at least {least} ({exc})",
                    )
                    return True
                if name == "max_count":
                    self._settings(actor, value, None)
                else:
                    self._settings(actor, None, value)
                # The reply's wording is Thespian's: programs compare it.
                actor.send(sender, "Set troupe %s to %d" % (name, value))
                return True
        return False

    # -- the pool ------------------------------------------------------------
    def _add(self, actor: Any, message: Any, sender: ActorAddress) -> None:
        self.pending.append(_TroupeWork(self.next_ident, message, sender))
        self.next_ident += 1
        self._dispatch(actor)

    def _dispatch(self, actor: Any) -> None:
        while self.pending:
            if self.idle:
                worker = self.idle.pop(0)[0]  # idle longest first: round robin
            elif len(self.workers) < self.max_count:
                worker = actor.createActor(type(actor))
                self.workers.append(worker)
            else:
                return
            job = self.pending.popleft()
            self.busy[job.ident] = (worker, job)
            actor.send(worker, job)

    def _free(self, actor: Any, worker: ActorAddress) -> None:
        if not self._is_worker(worker) or _among(worker, self.leaving):
            return
        if len(self.workers) - len(self.leaving) > self.max_count:  # max_count was lowered
            self._dismiss(actor, worker)
            return
        self.idle.append((worker, time.monotonic()))
        self._dispatch(actor)
        self._arm(actor)

    def _surplus(self) -> bool:
        return len(self.idle) > self.idle_count and len(self.workers) - len(self.leaving) > self.idle_count

    def _arm(self, actor: Any, delay: float | None = None) -> None:
        if self._surplus() and not self.timer_set:
            self.timer_set = True
            actor.wakeupAfter(self.dismiss_after if delay is None else delay, payload=_DISMISS)

    def _dismiss_idle(self, actor: Any) -> None:
        now = time.monotonic()
        while self._surplus():
            worker, since = self.idle[0]
            waited = now - since
            if waited < self.dismiss_after:
                self._arm(actor, self.dismiss_after - waited)
                return
            self.idle.pop(0)
            self._dismiss(actor, worker)

    def _dismiss(self, actor: Any, worker: ActorAddress) -> None:
        self.leaving.append(worker)
        actor.send(worker, ActorExitRequest())

    def _worker_gone(self, actor: Any, worker: ActorAddress) -> None:
        self.workers = [w for w in self.workers if w != worker]
        self.leaving = [w for w in self.leaving if w != worker]
        self.idle = [(w, t) for w, t in self.idle if w != worker]
        for ident, (who, job) in list(self.busy.items()):
            if who != worker:
                continue
            del self.busy[ident]
            deaths = self.deaths[ident] = self.deaths.get(ident, 0) + 1
            if deaths >= WORKER_DEATHS_PER_JOB:
                self.deaths.pop(ident)
                actor.send(
                    job.sender,
                    PoisonMessage(job.message, f"{deaths} troupe workers exited while handling it"),
                )
            else:  # its worker died (killed, crashed): another one tries it first
                self.pending.appendleft(job)
        self._dispatch(actor)

    def _job_failed(self, actor: Any, job: _TroupeWork, details: str | None) -> None:
        entry = self.busy.pop(job.ident, None)
        if entry is None:  # already settled (its worker's exit came first)
            return
        self.deaths.pop(job.ident, None)
        actor.send(job.sender, PoisonMessage(job.message, details))
        self._free(actor, entry[0])

    def _settings(self, actor: Any, max_count: int | None, idle_count: int | None) -> None:
        if max_count is not None:
            self.max_count = max_count
        if idle_count is not None:
            self.idle_count = idle_count
        while self.idle and len(self.workers) - len(self.leaving) > self.max_count:
            self._dismiss(actor, self.idle.pop()[0])  # a lowered max_count holds at once
        self._dispatch(actor)
        self._arm(actor)

    def _close(self, actor: Any) -> None:
        """The troupe is exiting: jobs no worker has started go back to their senders."""
        self.closed = True
        for job in self.pending:
            actor.send(job.sender, PoisonMessage(job.message, "the troupe exited before a worker took it"))
        self.pending.clear()

    def _is_worker(self, addr: Any) -> bool:
        return _among(addr, self.workers)

    def status(self, name: str) -> str:
        """One line for ``"troupe:status?"``: limits, workers by state, waiting jobs."""
        return (
            f"Troupe {name}: max_count={self.max_count} idle_count={self.idle_count} "
            f"workers={len(self.workers)} busy={len(self.busy)} idle={len(self.idle)} "
            f"leaving={len(self.leaving)} pending={len(self.pending)}"
        )


def _among(addr: Any, addrs: list[ActorAddress]) -> bool:
    # Addresses are not hashable (docs/api.md §2.16): compare one by one.
    return any(a == addr for a in addrs)
