"""Outbox: ordered frames for one destination, written at once when possible.

A transport gives it two ways to write: ``try_write(frame)`` writes what can
go now without blocking and says how many bytes that was; ``write_all(frame)``
may block. A frame goes straight out when nothing is queued before it;
otherwise it waits, in order, for a per-outbox flusher thread, which writes
the small frames waiting together in one call. So a slow reader never blocks
the sender, and order is kept.

A transport with many outboxes (a parent with a hundred children) checks
its backlog on every send; it gives them one ``group`` set, which holds just
the outboxes that have frames waiting, so that check costs nothing while
every frame goes straight out (:meth:`Outbox.waiting_in`).
"""
from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Callable

#: a frame this large is written on its own (joining would copy it)
BATCH_ALONE = 64 * 1024
#: at most this many frames, and bytes, in one write of waiting frames
BATCH_FRAMES = 256
BATCH_BYTES = 256 * 1024


class Outbox:
    def __init__(self, try_write: Callable[[bytes], int], write_all: Callable[[bytes], None],
                 name: str) -> None:
        self._try = try_write
        self._all = write_all
        self._name = name
        self.lock = threading.Lock()
        self._wake = threading.Condition(self.lock)
        self._pending: deque[bytes] = deque()
        self._flusher: threading.Thread | None = None
        self.broken = False
        self.closed = False
        self.group: set[Outbox] | None = None  # see join()

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
                batch = self._batch()  # stays queued until written, so put() keeps order
            try:
                self._all(batch[0] if len(batch) == 1 else b"".join(batch))
            except OSError:  # the reader is gone: what is left waits for take()
                with self.lock:
                    self.broken = True
                    self._settled()  # it will never drain: no backlog to wait for
                    self._wake.notify_all()
                return
            with self.lock:
                pending = self._pending
                for frame in batch:
                    if pending and pending[0] is frame:  # take() may have emptied it meanwhile
                        pending.popleft()
                if not pending:
                    self._settled()
                    self._wake.notify_all()

    def _batch(self) -> list[bytes]:
        """Under the lock: the first frames waiting, as many as one write
        should carry. Small frames behind a slow reader go out together (one
        system call, not one each); a large one goes alone, never copied."""
        pending = self._pending
        first = pending[0]
        if len(pending) == 1 or len(first) >= BATCH_ALONE:
            return [first]
        batch = [first]
        size = len(first)
        for frame in itertools.islice(pending, 1, BATCH_FRAMES):
            if len(frame) >= BATCH_ALONE or size + len(frame) > BATCH_BYTES:
                break
            batch.append(frame)
            size += len(frame)
        return batch

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
