"""ActorHost: the Ray actor that runs one actorcore actor, by the core's rules.

The actor's side is :class:`~.cell.RayCell` (the core's ``ActorCell`` with
the runtime part). The actor runs in one thread of the host, its loop; Ray's
threads only queue what arrives (``deliver``) and wait for the end
(``until_done``), so the actor is never entered twice at once. Once an async
handler has run, the loop also steps the core's asyncio loop between
deliveries, and waits on its selector besides its inbox.
"""
from __future__ import annotations

import array
import logging
import os
import select
import threading
import time
import traceback
from collections import deque
from typing import Any

import ray

from actorcore.actors import (
    ActorAddress,
    ActorExitRequest,
    InvalidActorSpecification,
)
from actorcore.plugin import (
    DONE,
    LIVE,
    async_driver,
    bounce_held,
    capability_refusal,
    class_spec,
    instantiate,
    internal_log,
    resolve_actor_class,
)

from . import logs, sources
from .addressing import ADMIN_NAME
from .cell import REGISTER_LIMIT, RayCell
from .outbound import Outbound
from .placement import node_id
from .signals import Signals
from .spawn import ENDED, HostBoot
from .wire import dumps, loads, unpack

#: seconds a host whose actor failed to start stays, so that what its parent
#: sent at once comes back as PoisonMessage rather than as dead letters
FAILED_GRACE = 0.5
#: seconds between a host's checks that its admin still runs (Ray has no death-watch)
ADMIN_CHECK = 1.0
#: seconds an ending host waits for what it sent to be taken
FLUSH_LIMIT = 10.0
#: the same after SIGTERM, which ends the actor at once: a target that takes
#: nothing (a stopped process) must not keep the process for long
TERM_FLUSH_LIMIT = 1.0
#: seconds an ending host lets async handlers still on its loop (cancelled) clean up
ASYNC_CLOSE_GRACE = 3.0
#: counters of messages an actor sent endpoints through the admin (see ``ask``)
_VIA_ADMIN_SLOTS = 1 << 14
_log = logging.getLogger("actorcore.ray")


class _Waiter:
    """An outside program's ask, waiting in a host for the actor's reply."""

    __slots__ = ("event", "data")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.data: bytes | None = None


class ActorHost:
    """The Ray actor around one RayCell (see the module docstring)."""

    def __init__(self, boot: HostBoot) -> None:
        self.boot = boot
        self.out = Outbound()
        self._cond = threading.Condition()
        # (message, sender address) posted here, or (None, sender details, pickled data)
        self._inbox: deque[tuple[Any, Any, bytes | None]] = deque()
        self._closed = False
        self._orphaned = False  # the admin is gone
        # Once async handlers have run, the loop thread waits in select() on
        # the event loop's selector and this pipe (which post/nudge write to
        # while it waits) instead of on the condition.
        self._wake: tuple[int, int] | None = None
        self._selecting = False
        # endpoint -> the ask waiting here for the actor's next message to it
        self._waiters: dict[str, _Waiter] = {}
        # How many messages this actor sent each endpoint through the admin,
        # counted per hash of the endpoint: a reply handed to a waiting ask
        # must not overtake one of those, so an ask is waited for only when
        # its program has taken as many from this actor as were sent. Bounded
        # whatever the number of endpoints; a collision only sends a reply the
        # slow way.
        self._via_admin = array.array("Q", bytes(8 * _VIA_ADMIN_SLOTS))
        # sender process's token -> number of the last batch this host took
        # from it (outbound.py, Failure): the admin learns it at the end
        self._took: dict[str, int] = {}
        self._done = threading.Event()  # the parent may hear of the end
        self._flushed = threading.Event()  # the process may go
        self.failure: str | None = None
        self.cell = RayCell(self, boot)
        logs.use_internal_log_env(boot.log_env)
        why = logs.check(boot.logDefs)
        if why is not None:
            _log.error("%s", why)
        logs.tag_records(str(self.cell.address))
        self._terminate = False
        self._terminated = False  # SIGTERM ended it
        self._signals = Signals(self._on_term, self._log_status)
        try:
            if boot.sourceHash is not None:
                cls = sources.load_class(self.out.handle(boot.namespace), boot.spec, boot.sourceHash)
                refusal = capability_refusal(cls, boot.capabilities, boot.requirements)
                if refusal is not None:
                    raise InvalidActorSpecification(boot.spec, refusal)
            else:
                cls = resolve_actor_class(boot.spec)
        except Exception as exc:
            self.failure = f"a Ray worker could not import {boot.spec}: {type(exc).__name__}: {exc}"
            _log.error("%s", self.failure)
        else:
            self.cell.cls = cls
            try:
                actor = instantiate(cls, boot.capabilities, boot.requirements)
            except Exception as exc:
                self.failure = f"its __init__ raised {type(exc).__name__}: {exc}"
                logging.getLogger(cls.__name__).error(
                    "%s failed in __init__\n%s", class_spec(cls), traceback.format_exc())
            else:
                self.cell.attach(actor)
        self._register()
        if self.failure is None:
            threading.Thread(target=self._loop, name="actorcore-actor", daemon=True).start()
        else:
            self._closed = True
            threading.Timer(FAILED_GRACE, self._ended).start()

    def _on_term(self) -> None:
        self._terminate = True
        self.nudge()

    def _log_status(self) -> None:
        internal_log(logging.WARNING, f"status: {self.cell._status()!r}")

    def _register(self) -> None:
        """Tell the admin this host runs, before anyone can hear of it (the
        constructor returns only then): a shutdown that starts right after
        a create still finds its process."""
        import ray

        boot = self.boot
        admin = self.out.handle(boot.namespace)
        op = ("started", boot.me, boot.parent, boot.globalName, os.getpid(), node_id(), boot.spec)
        try:
            ray.get(admin.control.remote(boot.namespace, [op]), timeout=REGISTER_LIMIT)
        except Exception as exc:
            _log.error("%s could not register with its admin: %s", boot.me, exc)

    # -- Ray methods -------------------------------------------------------------
    def ready(self) -> tuple[str | None, int]:
        """(None, pid) once the actor runs; (why, pid) if it failed to start."""
        if self.failure is None and self._closed:
            return ENDED, os.getpid()
        return self.failure, os.getpid()

    def deliver(self, call: bytes) -> bool:
        """Queue what one sender sent (``(target, batch, token, seq)``, packed), in its
        order (see outbound.py). False when the actor has ended: the sender
        makes the batch dead letters (so a batch is never both refused here
        and lost with this process)."""
        return self._deliver(*unpack(call))

    def _deliver(self, target: str, batch: list[tuple[str, bytes]], token: str, seq: int) -> bool:
        with self._cond:
            if not self._closed:
                self._inbox.extend((None, sender, data) for sender, data in batch)
                self._took[token] = seq
                self._wake_up()
                return True
            if self.failure is None:
                return False
            self._took[token] = seq
        self._refuse(batch)
        return True

    @ray.method(concurrency_group="ask")
    def ask(self, call: bytes) -> bytes | bool:
        """``deliver`` for a program's ``ask`` (``(target, batch, endpoint,
        wait, taken)``, packed), which then waits here (at most ``wait`` s)
        for the actor's next message to ``endpoint`` and returns it (pickled);
        ``b""`` when none came in time, or when something the actor sent
        ``endpoint`` through the admin may not have been taken yet (``taken``:
        how many its program took): that one must arrive first, so this one
        follows it there. False as ``deliver``. Saves the reply its trip
        through the admin and the program's ``take``."""
        target, batch, endpoint, wait, taken, token, seq = unpack(call)
        waiter = None
        with self._cond:
            if self._closed:
                return self._deliver(target, batch, token, seq) and b""
            self._took[token] = seq
            if self._via_admin[hash(endpoint) % _VIA_ADMIN_SLOTS] == taken and endpoint not in self._waiters:
                waiter = self._waiters[endpoint] = _Waiter()
            self._inbox.extend((None, sender, data) for sender, data in batch)
            self._wake_up()
        if waiter is None:
            return b""
        waiter.event.wait(wait)
        with self._cond:
            if self._waiters.get(endpoint) is waiter:
                del self._waiters[endpoint]
        return waiter.data or b""

    def to_endpoint(self, endpoint: str, data: bytes) -> bool:
        """The actor sends ``data`` to a program's endpoint: whether an ask
        waiting here took it (else it goes through the admin, and later
        replies to that endpoint follow it there)."""
        with self._cond:
            waiter = self._waiters.pop(endpoint, None)
            if waiter is None:
                self._via_admin[hash(endpoint) % _VIA_ADMIN_SLOTS] += 1
                return False
            waiter.data = data
        waiter.event.set()
        return True

    def until_done(self) -> bool:
        """Returns once the actor has finished and what it sent its parent and
        the admin was taken: when its parent may hear ChildActorExited."""
        self._done.wait()
        return True

    def until_flushed(self) -> dict[str, int]:
        """Returns once the actor has finished and everything it sent was taken
        (or FLUSH_LIMIT has passed): when its process may be ended. Returns
        the last batch it took from each sender (see ``deliver``)."""
        self._flushed.wait()
        with self._cond:
            return dict(self._took)

    def _ended(self) -> None:
        self._done.set()
        self._flushed.set()

    def capabilities_changed(self, caps: dict[str, Any]) -> None:
        """The system's capabilities changed: an actor that no longer accepts
        them is asked to exit, as on every base."""
        extra = {k: v for k, v in self.cell.capabilities.items() if k not in self.cell.system_caps}
        self.cell.system_caps = caps
        self.cell.capabilities = caps = {**caps, **extra}  # a pinned actor keeps its node's
        if capability_refusal(self.cell.cls, caps, self.boot.requirements) is not None:
            self.post(ActorExitRequest(), self.cell.system)

    # -- what the cell needs -----------------------------------------------------------
    def post(self, msg: Any, sender: ActorAddress) -> None:
        with self._cond:
            if self._closed:
                return
            self._inbox.append((msg, sender, None))
            self._wake_up()

    def nudge(self) -> None:
        with self._cond:
            self._wake_up()

    def _wake_up(self) -> None:
        """Under the condition: end the loop thread's wait, whichever it is in."""
        self._cond.notify()
        if self._selecting and self._wake is not None:
            try:
                os.write(self._wake[1], b"!")
            except BlockingIOError:  # full: a wake-up is already waiting to be read
                pass

    def pending(self) -> int:
        with self._cond:
            return len(self._inbox)

    def control(self, op: tuple[Any, ...]) -> None:
        self.out.control(self.boot.namespace, op)

    # -- the loop ------------------------------------------------------------------------
    def _loop(self) -> None:
        cell = self.cell
        cond = self._cond
        inbox = self._inbox
        aio = async_driver()  # its event loop is made only when an async handler first runs
        aio.owns_thread = True  # this thread runs nothing but this loop (Ray's run elsewhere)
        io = False  # the event loop's selector was seen ready
        left: list[Any] = []
        next_check = time.monotonic() + ADMIN_CHECK
        try:
            while cell.state != DONE:
                if self._terminate:  # SIGTERM: exit now; nothing waiting is handled
                    self._terminate = False
                    self._terminated = True
                    with cond:
                        left.extend(inbox)
                        inbox.clear()
                    if cell.state == LIVE:
                        cell._exit_request(ActorExitRequest(), cell.address)
                    elif cell.state != DONE:  # exiting, waiting for its children
                        cell._finish()  # its children do not answer: left as orphans
                    continue
                aio_left: float | None = None
                if aio.loop is not None:  # async handlers have run here: step their loop
                    aio_left = aio.step(io)
                    io = False
                    if cell.state == DONE:
                        break
                with cond:
                    while not inbox and not self._terminate:
                        timers = cell.timers
                        now = time.monotonic()
                        if now >= next_check:
                            break
                        wait = next_check - now
                        if timers:
                            wait = min(wait, timers[0][0] - now)
                            if wait <= 0:
                                break
                        if aio.loop is None:
                            cond.wait(wait)
                            continue
                        # one wait, then the loop is stepped again
                        if aio_left is not None:
                            wait = min(wait, aio_left)
                        if wait > 0:
                            io = self._select(aio.fileno(), wait)
                        break
                    items = list(inbox)
                    inbox.clear()
                if items and self._signals.term_arrived():
                    self._terminate = True  # sent after the SIGTERM, maybe: handled, none of them
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + ADMIN_CHECK
                    if not self._admin_alive():
                        _log.warning("the admin of %s is gone; %s exits", self.boot.namespace, cell.address)
                        self._orphaned = True
                        left = items
                        break
                for i, (msg, sender, data) in enumerate(items):
                    if self._terminate:
                        left.extend(items[i:])
                        break
                    if cell.timers and cell.timers[0][0] <= time.monotonic():
                        # due wakeups go before what came after them
                        cell.wake(cell.due())
                        if cell.state == DONE:
                            left = items[i:]
                            break
                    if data is not None:
                        try:
                            msg = loads(data)
                        except Exception as exc:
                            _log.error("%s could not unpickle a message from %s: %s",
                                       cell.address, sender, exc)
                            continue
                        sender = ActorAddress(sender)
                    cell.deliver(msg, sender)
                    if cell.state == DONE:
                        left = items[i + 1:]
                        break
                else:
                    if cell.timers and cell.timers[0][0] <= time.monotonic():
                        cell.wake(cell.due())
        except BaseException:
            internal_log(logging.ERROR, f"actor {self.boot.me} crashed: {traceback.format_exc()}")
        finally:
            self._wind_up(aio, left)

    def _wind_up(self, aio: Any, left: list[Any]) -> None:
        """The loop has ended: what it had not handled becomes dead letters,
        and the parent (then the admin, which ends the process) hears of it."""
        if aio.loop is not None:
            self._close_async(aio)
        with self._cond:
            self._closed = True
            left.extend(self._inbox)
            self._inbox.clear()
            waiters = list(self._waiters.values())
            self._waiters.clear()
        for waiter in waiters:  # their programs go on to the admin
            waiter.event.set()
        if self._orphaned:
            # nobody is left to end this process: it ends itself, once the
            # calls waiting on it have had their answer
            threading.Timer(0.5, os._exit, (0,)).start()
            self._ended()
            return
        self._refuse([(s, d) for _m, s, d in left if d is not None])
        # The parent's notice comes after everything this actor sent the
        # parent, and its dead letters. A call to another target may wait
        # long (a stopped process), which holds up only the process's end.
        boot = self.boot
        self.out.flush(FLUSH_LIMIT, [boot.parent or boot.namespace, "\0" + boot.namespace])
        self._done.set()
        self.out.flush(TERM_FLUSH_LIMIT if self._terminated else FLUSH_LIMIT)
        self._flushed.set()

    def _select(self, loop_fd: int | None, wait: float) -> bool:
        """Under the condition, released meanwhile: wait up to ``wait`` seconds
        for the event loop's selector or a post/nudge. Whether the selector
        is ready."""
        if self._wake is None:
            r, w = os.pipe()
            os.set_blocking(r, False)
            os.set_blocking(w, False)
            self._wake = (r, w)
        wake_r = self._wake[0]
        fds = [wake_r] if loop_fd is None else [wake_r, loop_fd]
        self._selecting = True
        self._cond.release()
        try:
            ready, _, _ = select.select(fds, [], [], wait)
        finally:
            self._cond.acquire()
            self._selecting = False
        if wake_r in ready:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        return loop_fd is not None and loop_fd in ready

    def _close_async(self, aio: Any) -> None:
        """The loop has ended: a handler still suspended (the actor was ended
        by force, or its admin is gone) is cancelled; then the event loop is
        closed, its tasks given a grace to clean up. Both in the loop thread,
        the only one that steps it."""
        try:
            if self.cell.state != DONE:
                self.cell.abandon_async()
            aio.close(ASYNC_CLOSE_GRACE)
        except Exception:
            _log.debug("closing %s's event loop failed", self.cell.address, exc_info=True)
        with self._cond:
            wake, self._wake = self._wake, None
        if wake is not None:
            for fd in wake:
                os.close(fd)

    def _admin_alive(self) -> bool:
        import ray

        try:
            ray.get_actor(ADMIN_NAME, namespace=self.boot.namespace)
        except ValueError:
            return False
        except Exception:
            return True  # Ray could not say: ask again later
        return True

    def _refuse(self, batch: list[tuple[str, bytes]]) -> None:
        """What arrived for an actor that is not running: if it never started,
        its parent's messages come back to the parent as PoisonMessage (as for a
        child that never started); everything else is a dead letter."""
        if not batch:
            return
        if self.failure is None:
            self.control(("dead", self.boot.me, batch))
            return
        me = self.boot.me
        held = []
        for sender, data in batch:
            try:
                held.append((loads(data), ActorAddress(sender)))
            except Exception:
                continue
        parent = ActorAddress(self.boot.parent) if self.boot.parent else None
        bounce_held(
            held, parent,
            lambda to, poison: self.out.send(str(to.addressDetails), (me, dumps(poison))),
            lambda msg: self.control(("dead", me, [(me, dumps(msg))])),
        )

