"""Channel: a one-way multiprocessing pipe with framing and a flusher thread.

One process writes (any of its threads), one process reads. A writer never
blocks on a slow reader: a frame goes straight into the pipe when the pipe
has room for all of it, otherwise it waits, in order, for a per-channel
flusher thread. The reader reads without blocking and keeps partial frames,
so a writer killed in mid-frame cannot hang it. One writer per pipe means a
killed process can corrupt nothing but its own channel.
"""
from __future__ import annotations

import errno
import fcntl
import os
import struct
import termios
from typing import Any

from actorcore.plugin import Outbox, framing

_F_GETPIPE_SZ = 1032
_LEN = struct.Struct("!I")  # frame headers: network order
_NATIVE_INT = struct.Struct("i")  # what ioctl(FIONREAD) fills in: the host's own int
_INT = bytes(_NATIVE_INT.size)
_READ = framing.READ_SIZE
_ANY_SIZE = 0xFFFFFFFF  # the largest length a frame header holds


class Channel:
    """Both ends of one pipe; each process keeps the end it uses."""

    def __init__(self) -> None:
        self.rfd, self.wfd = os.pipe()
        os.set_inheritable(self.rfd, True)
        os.set_inheritable(self.wfd, True)
        self._local_init()

    @classmethod
    def fifo_reader(cls, path: str) -> Channel:
        """The read end of a named pipe (opening it never blocks)."""
        ch = cls.__new__(cls)
        ch.rfd, ch.wfd = os.open(path, os.O_RDONLY | os.O_NONBLOCK), -1
        ch._local_init()
        return ch

    @classmethod
    def fifo_writer(cls, path: str) -> Channel | None:
        """The write end of a named pipe; None while nobody has it open for reading.
        Raises FileNotFoundError once the pipe is gone for good."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                return None
            raise
        os.set_blocking(fd, True)  # the room check keeps direct writes from blocking
        ch = cls.__new__(cls)
        ch.rfd, ch.wfd = -1, fd
        ch._local_init()
        return ch

    def _local_init(self) -> None:
        self._out = Outbox(self._try_write, lambda frame: _write_all(self.wfd, frame),
                           "actorcore-channel")
        self._buf = bytearray()
        self._eof = False
        self._capacity: int | None = None
        self._pid = os.getpid()

    # spawn: the fds travel as duplicated handles; each process starts fresh local state
    def __reduce__(self) -> Any:
        from multiprocessing.reduction import DupFd

        return (_rebuild, (DupFd(self.rfd) if self.rfd >= 0 else None,
                           DupFd(self.wfd) if self.wfd >= 0 else None))

    def _check_process(self) -> None:
        if self._pid != os.getpid():  # inherited by fork: the parent's threads are not ours
            self._local_init()

    # -- writing -------------------------------------------------------------
    def _room(self, size: int) -> bool:
        fd = self.wfd
        if self._capacity is None:
            try:
                self._capacity = fcntl.fcntl(fd, _F_GETPIPE_SZ)
            except OSError:
                self._capacity = 4096
        used = _NATIVE_INT.unpack(fcntl.ioctl(fd, termios.FIONREAD, _INT))[0]
        return used + size <= self._capacity

    def put(self, envelope: Any) -> None:
        """Send ``(target, sender, data)``: two address strings and the pickled message."""
        self._check_process()
        self._out.put(framing.encode(*envelope))

    def _try_write(self, frame: bytes) -> int:
        if not self._room(len(frame)):
            return 0
        _write_all(self.wfd, frame)
        return len(frame)

    @property
    def broken(self) -> bool:
        return self._out.broken

    def backlog(self) -> int:
        return self._out.backlog()

    def join_backlog(self, group: set[Outbox]) -> None:
        """Count what waits here in the writer's ``group`` (Outbox.waiting_in)."""
        self._out.join(group)

    def flush(self, timeout: float) -> bool:
        self._check_process()
        return self._out.flush(timeout)

    def take_pending(self) -> list[Any]:
        """Frames never written (the reader died): as envelopes, for dead letters."""
        return [framing.decode(memoryview(f)[4:]) for f in self._out.take()]

    # -- reading -------------------------------------------------------------
    def read_ready(self) -> list[Any]:
        """Every complete envelope readable now; never blocks."""
        self._check_process()
        fd = self.rfd
        buf = self._buf
        scratch = framing.read_buffer()
        while True:
            try:
                got = os.readv(fd, (scratch,))
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                self._eof = True
                break
            if not got:
                self._eof = True
                break
            buf += memoryview(scratch)[:got]
            if got < _READ:
                break
        try:
            # no Max Message Size: both ends are this user's own processes, and
            # Thespian's queue base carried a message of any size
            return framing.split(buf, _ANY_SIZE)
        except framing.FrameError:  # cannot happen between our own processes; never hang on it
            buf.clear()
            self._eof = True
            return []

    def read_one(self) -> list[Any]:
        """At most one envelope, reading no further than its end: what an actor
        has not started on stays in the pipe, to be dead-lettered if it dies."""
        self._check_process()
        buf = self._buf
        while True:
            need = 4 - len(buf) if len(buf) < 4 else 4 + _LEN.unpack_from(buf, 0)[0] - len(buf)
            if need <= 0:
                break
            try:
                chunk = os.read(self.rfd, need)
            except BlockingIOError:
                return []
            except InterruptedError:
                continue
            except OSError:
                self._eof = True
                return []
            if not chunk:
                self._eof = True
                return []
            buf += chunk
        try:
            with memoryview(buf) as view, view[4:] as frame:
                env = framing.decode(frame)
        except framing.FrameError:  # cannot happen between our own processes; never hang on it
            buf.clear()
            self._eof = True
            return []
        buf.clear()
        return [env]

    @property
    def eof(self) -> bool:
        return self._eof

    def reading(self) -> Channel:
        """Keep only the read end in this process (non-blocking)."""
        self._check_process()
        _close(self.wfd)
        self.wfd = -1
        os.set_blocking(self.rfd, False)
        return self

    def writing(self) -> Channel:
        """Keep only the write end in this process."""
        self._check_process()
        _close(self.rfd)
        self.rfd = -1
        return self

    def close(self, flush: float = 0.0) -> None:
        self._check_process()
        if flush > 0 and self.wfd >= 0:
            self.flush(flush)
        self._out.close()
        _close(self.rfd)
        _close(self.wfd)
        self.rfd = self.wfd = -1


def _rebuild(rdup: Any, wdup: Any) -> Channel:
    ch = Channel.__new__(Channel)
    ch.rfd = rdup.detach() if rdup is not None else -1
    ch.wfd = wdup.detach() if wdup is not None else -1
    ch._local_init()
    return ch


def _write_all(fd: int, frame: bytes) -> None:
    view = memoryview(frame)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[n:]


def _close(fd: int) -> None:
    if fd >= 0:
        try:
            os.close(fd)
        except OSError:
            pass
