"""Outbox: ordered frames for one destination, written at once when possible.

A transport gives it two ways to write: ``try_write(frame)`` writes what can
go now without blocking and says how many bytes that was; ``write_all(frame)``
may block. A frame goes straight out when nothing is queued before it;
otherwise it waits, in order, for a per-outbox flusher thread. So a slow
reader never blocks the sender, and order is kept.

A transport with many outboxes (a parent with a hundred children) checks
its backlog on every send; it gives them one ``group`` set, which holds just
the outboxes that have frames waiting, so that check costs nothing while
every frame goes straight out (:meth:`Outbox.waiting_in`).
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Callable


class Outbox:
    def __init__(self, try_write: Callable[[bytes], int], write_all: Callable[[bytes], None],
                 name: str, group: set[Outbox] | None = None) -> None:
        self._try = try_write
        self._all = write_all
        self._name = name
        self.lock = threading.Lock()
        self._wake = threading.Condition(self.lock)
        self._pending: deque[bytes] = deque()
        self._flusher: threading.Thread | None = None
        self.broken = False
        self.closed = False
        self.group = group

    @staticmethod
    def waiting_in(group: set[Outbox]) -> int:
        """Frames waiting in the outboxes of ``group``."""
        return sum(len(o._pending) for o in tuple(group))  # tuple(): a flusher may leave it meanwhile

    def join(self, group: set[Outbox]) -> None:
        """Be counted in ``group`` (see the module docstring) from now on."""
        with self.lock:
            self.group = group
            if self._pending and not self.closed and not self.broken:
                group.add(self)

    def _settled(self) -> None:
        """Under the lock: nothing waits here any more (or never will be written)."""
        if self.group is not None:
            self.group.discard(self)

    def put(self, frame: bytes) -> None:
        """Queue ``frame``; BrokenPipeError once the reader is known to be gone."""
        with self.lock:
            if self.broken:
                raise BrokenPipeError("the reader is gone")
            if self.closed:
                return
            if not self._pending:
                try:
                    sent = self._try(frame)
                except OSError:
                    self.broken = True
                    raise
                if sent == len(frame):
                    return
                frame = frame[sent:]
            self._pending.append(frame)
            if self.group is not None:
                self.group.add(self)
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush, name=self._name, daemon=True)
                self._flusher.start()
            else:
                self._wake.notify_all()

    def _flush(self) -> None:
        while True:
            with self.lock:
                while not self._pending:
                    if self.closed:
                        return
                    self._wake.wait()
                frame = self._pending[0]  # stays queued until written, so put() keeps order
            try:
                self._all(frame)
            except OSError:  # the reader is gone: what is left waits for take()
                with self.lock:
                    self.broken = True
                    self._settled()  # it will never drain: no backlog to wait for
                    self._wake.notify_all()
                return
            with self.lock:
                self._pending.popleft()
                if not self._pending:
                    self._settled()
                    self._wake.notify_all()

    def backlog(self) -> int:
        return len(self._pending)

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued is written (False: gave up)."""
        with self.lock:
            return self._wake.wait_for(lambda: not self._pending or self.broken, timeout)

    def take(self) -> list[bytes]:
        """The frames never written (or the unwritten rest of one); closes the outbox."""
        with self.lock:
            frames = list(self._pending)
            self._pending.clear()
            self.closed = True
            self._settled()
            self._wake.notify_all()
        return frames

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self._settled()
            self._wake.notify_all()
