"""What one process sends to the actors, endpoints and admins of Ray systems.

**Order.** actorcore promises that what one sender sends to one target
arrives in the order sent. Ray keeps a caller's order only for synchronous
single-threaded actors without retries, and our hosts are threaded. So the
order is kept here, by the shape of the calls, whatever Ray does with
concurrent ones: per (process, target) there is at most **one** ``deliver``
call in flight. Envelopes sent meanwhile wait, in order, and leave together
as the next call's batch once the previous call has returned, which it does
only after the receiver queued its batch in order. Each actor process sends
from its one actor's thread, an endpoint's sends go through the same
channel as every other sender of its program, so per-sender order is a
consequence of per-process order.

**Back-pressure.** A channel holds at most ``WINDOW`` envelopes waiting;
the sender blocks until the call in flight returns (which never waits on
the receiver's actor, only on its queue, so two actors sending to each
other cannot block each other). A batch is at most ``BATCH`` envelopes.

**Failure.** A call that fails because its target is gone (``RayActorError``)
turns the batch, and everything queued behind it, into dead letters, and
the channel stays dead: later sends go to the dead letters at once. The
dead letters go to the admin of the target's system.

A failed call's own batch is in doubt: the host may have queued it (then
handled it, or made it dead letters itself) and been ended before Ray sent
its answer back. So each batch to an actor carries this process's token and
the channel's sequence number; a host notes, per token, the last batch it
took, and the admin learns that when the host ends. The batch of a failed
call goes to the admin as ``lost``, and becomes dead letters only if the
host never took it (doubts.py): no message is both handled and
reported dead.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from collections import deque
from typing import Any, Callable

from .addressing import ADMIN_NAME, is_actor, namespace_of
from .wire import pack

#: envelopes one channel holds back before its sender waits
WINDOW = 10_000
#: envelopes one call carries at most
BATCH = 1_000

_log = logging.getLogger("actorcore.ray")

#: (sender details, pickled message)
Item = tuple[str, bytes]


class _Channel:
    __slots__ = ("target", "call", "packed", "pending", "in_flight", "dead", "asked", "seq")

    def __init__(self, target: str, call: Any, packed: bool) -> None:
        self.target = target
        self.call = call  # the bound remote method: handle.deliver or handle.control
        self.packed = packed  # its arguments go as one bytes (wire.pack): deliver
        self.pending: deque[Any] = deque()
        self.in_flight: list[Any] | None = None
        self.dead = False
        self.asked: Any = None  # the ask call in flight (``Outbound.ask``)
        self.seq = 0  # of the last batch sent (the one in flight, if any)


class Outbound:
    """The channels of one process, one per target."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._moved = threading.Condition(self._lock)
        self._channels: dict[str, _Channel] = {}
        self._handles: dict[str, Any] = {}
        # (channel, call's future, the batch it carried)
        self._done: queue.SimpleQueue[tuple[_Channel, Any, Any] | None] = queue.SimpleQueue()
        self._pump: threading.Thread | None = None
        self._closed = False
        #: names this process's batches to the hosts that take them (see Failure)
        self.token = os.urandom(8).hex()
        #: namespaces whose admin a call found gone
        self.lost_admins: set[str] = set()

    # -- handles -------------------------------------------------------------
    def know(self, details: str, handle: Any) -> None:
        """The handle of an actor this process just made: no lookup needed."""
        with self._lock:
            self._handles[details] = handle

    def handle(self, details: str) -> Any:
        """The Ray actor behind an actor's address, or the admin behind any
        other; raises ValueError when Ray has no such actor (it is gone)."""
        key = details if is_actor(details) else "\0" + namespace_of(details)
        handle = self._handles.get(key)
        if handle is None:
            import ray

            name = details if is_actor(details) else ADMIN_NAME
            handle = ray.get_actor(name, namespace=namespace_of(details))
            with self._lock:
                self._handles[key] = handle
        return handle

    def forget(self, details: str) -> None:
        with self._lock:
            self._handles.pop(details, None)

    # -- sending -------------------------------------------------------------
    def send(self, target: str, item: Item) -> None:
        """Queue ``item`` for ``target`` (an actor, endpoint or system address)."""
        self._queue(target, "deliver", item)

    def ask(self, target: str, item: Item, endpoint: str, wait: float, taken: int) -> Any:
        """Send ``item`` to the actor ``target`` as a program's ask (host.py,
        ``ask``): the returned ObjectRef gives the reply, ``b""`` for none,
        or False when the actor had ended.
        None when the channel is busy or not open yet (the item is not sent:
        the caller sends it the usual way, behind what waits), or the call
        could not be made (the item is then a dead letter already)."""
        with self._lock:
            ch = self._channels.get(target)
            handle = self._handles.get(target)
            if ch is None or handle is None or ch.dead or ch.in_flight is not None or ch.pending:
                return None
            ch.in_flight = [item]
            ch.seq += 1
            try:
                ref = handle.ask.remote(pack((target, ch.in_flight, endpoint, wait, taken,
                                              self.token, ch.seq)))
            except Exception as exc:
                self._failed(ch, exc, sent=False)
                return False
            ch.asked = ref
            self._watch(ch, ref)
            return ref

    def settle(self, target: str, ref: Any) -> None:
        """The program has the result of ``ask``'s call ``ref``, which took
        its batch: send what waits behind it now, not once the pump has seen
        the call return (the program's next ask would find the channel busy)."""
        with self._lock:
            ch = self._channels.get(target)
            if ch is not None and ch.asked is ref and ch.in_flight is not None:
                ch.asked = None
                ch.in_flight = None
                if ch.pending:
                    self._submit(ch)
                self._moved.notify_all()

    def control(self, namespace: str, op: tuple[Any, ...]) -> None:
        """A runtime request for the admin of ``namespace``, in order after
        everything this process sent it before."""
        self._queue("\0" + namespace, "control", op)

    def _queue(self, key: str, method: str, item: Any) -> None:
        with self._lock:
            ch = self._channels.get(key)
            if ch is None:
                ch = self._open(key, method)
            if ch.dead:
                self._lock.release()
                try:
                    self._undeliverable(ch.target, [item])
                finally:
                    self._lock.acquire()
                return
            ch.pending.append(item)
            if ch.in_flight is None:
                self._submit(ch)
            elif len(ch.pending) >= WINDOW and threading.current_thread() is not self._pump:
                while len(ch.pending) >= WINDOW and ch.in_flight is not None and not self._closed:
                    self._moved.wait(1.0)

    def _open(self, key: str, method: str) -> _Channel:
        target = key[1:] if key.startswith("\0") else key
        try:
            self._lock.release()
            try:
                handle = self.handle(target)
            finally:
                self._lock.acquire()
            call = getattr(handle, method)
        except Exception as exc:  # no such Ray actor: it has ended
            _log.debug("no Ray actor for %s: %s", target, exc)
            call = None
        ch = self._channels.setdefault(key, _Channel(target, call, method == "deliver"))
        if ch.call is None:
            ch.dead = True
        return ch

    def _submit(self, ch: _Channel) -> None:
        """Send the next batch of ``ch`` (lock held, nothing in flight)."""
        n = min(len(ch.pending), BATCH)
        batch = [ch.pending.popleft() for _ in range(n)]
        ch.in_flight = batch
        ch.seq += 1
        try:
            if ch.packed:
                ref = ch.call.remote(pack((ch.target, batch, self.token, ch.seq)))
            else:
                ref = ch.call.remote(ch.target, batch)
        except Exception as exc:  # Ray itself refused the call (shut down, unpicklable)
            self._failed(ch, exc, sent=False)
            return
        self._watch(ch, ref)

    def _watch(self, ch: _Channel, ref: Any) -> None:
        """(lock held) Continue ``ch`` once the call ``ref`` returns."""
        if self._pump is None:
            self._pump = threading.Thread(target=self._run, name="actorcore-ray-pump", daemon=True)
            self._pump.start()
        batch = ch.in_flight
        ref.future().add_done_callback(lambda fut: self._returned(ch, fut, batch))

    def _returned(self, ch: _Channel, fut: Any, batch: Any) -> None:
        """On Ray's own thread: the call carrying ``batch`` returned. When it
        succeeded and nothing waits behind it (a sender that waits for its
        answer, as pingpong does) the channel is freed here, so the next send
        leaves at once instead of queueing behind the pump's turn. Anything
        else goes to the pump: no Ray call is made on Ray's thread, and Ray's
        thread never waits for the lock (a sender holding it may be inside a
        Ray call)."""
        if fut.exception() is None and fut.result() is not False and self._lock.acquire(blocking=False):
            try:
                if ch.in_flight is batch and not ch.pending:
                    ch.in_flight = None
                    self._moved.notify_all()
                    return
            finally:
                self._lock.release()
        self._done.put((ch, fut, batch))

    def _run(self) -> None:
        """Continue each channel whose call returned (``_returned`` hands over
        what it does not settle itself)."""
        while True:
            got = self._done.get()
            if got is None:
                return
            ch, fut, batch = got
            if ch.in_flight is not batch:
                continue  # its ask's program went on already (``settle``)
            exc = fut.exception()
            sent = exc is not None  # the call failed: the host may have taken the batch
            if exc is None:
                if fut.result() is False:
                    exc = LookupError(f"{ch.target} has ended")  # the host refused the batch
            with self._lock:
                if exc is not None:
                    self._failed(ch, exc, sent)
                else:
                    ch.in_flight = None
                    if ch.pending:
                        self._submit(ch)
                self._moved.notify_all()

    def _failed(self, ch: _Channel, exc: BaseException, sent: bool) -> None:
        """(lock held) The call failed: all queued are dead letters, and so is
        its batch, unless it was ``sent`` to an actor that may have taken it
        (see Failure: the admin decides)."""
        doubt = list(ch.in_flight or ()) if sent and ch.packed and is_actor(ch.target) else []
        lost = ([] if doubt else list(ch.in_flight or ())) + list(ch.pending)
        ch.in_flight = None
        ch.pending.clear()
        ch.dead = True
        self._handles.pop(ch.target, None)
        if is_actor(ch.target):
            if "/=" in ch.target:
                # a global name may be taken again by a new actor: look it up afresh next time
                self._channels.pop(ch.target, None)
        else:
            self.lost_admins.add(namespace_of(ch.target))
        _log.debug("delivery to %s failed: %s", ch.target, exc)
        self._moved.notify_all()
        self._lock.release()
        try:
            if doubt:  # the rest follows the doubtful batch, keeping their order
                self.control(namespace_of(ch.target),
                             ("lost", ch.target, self.token, ch.seq, doubt, lost))
            else:
                self._undeliverable(ch.target, lost)
        finally:
            self._lock.acquire()

    def _undeliverable(self, target: str, items: list[Any]) -> None:
        if target.startswith("\0") or not items:
            return  # control requests for a gone admin: the system is gone
        ns = namespace_of(target)
        if target == ns:
            return  # for a system that is gone: nobody to tell
        self.control(ns, ("dead", target, items))

    # -- ending ----------------------------------------------------------------
    def flush(self, limit: float, only: list[str] | None = None) -> bool:
        """Wait (at most ``limit`` s) until every call (to the targets ``only``
        names, if given: addresses, or ``"\0" + namespace`` for an admin's
        control requests) has returned and nothing waits; whether it got there."""
        import time

        deadline = time.monotonic() + limit
        with self._lock:
            while any(ch.in_flight is not None or ch.pending for key, ch in self._channels.items()
                      if only is None or key in only):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._moved.wait(min(left, 0.2))
        return True

    def backlog(self) -> int:
        with self._lock:
            return sum(len(ch.pending) for ch in self._channels.values())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._moved.notify_all()
        self._done.put(None)


Undeliverable = Callable[[str, list[Item]], None]
