"""SIGTERM and SIGUSR1 in an actor's Ray worker.

SIGTERM ends the actor at once, as on the other multiprocess bases: it runs
its ActorExitRequest and handles nothing that waits, not even a message that
reached it in the same instant. SIGUSR1 writes its status to the internal log.

Python runs a handler only when the main thread runs Python, which in a Ray
worker may be long after the signal. The wakeup pipe is written the moment a
thread takes the signal, and a thread of ours that waits on it acts at once.
Even that thread may run late on a busy machine (it needs the GIL), so the
actor's loop asks :meth:`Signals.term_arrived` before it handles what it took
from its inbox: that reads the pipe itself, and looks at the signals the
kernel has not yet handed to any thread.
"""
from __future__ import annotations

import os
import select
import signal
import threading
from typing import Any, Callable


class Signals:
    """Watches for SIGTERM and SIGUSR1; made in the worker's main thread (the
    one that may set handlers), else it watches nothing."""

    def __init__(self, on_term: Callable[[], None], on_status: Callable[[], None]) -> None:
        self._on_term = on_term
        self._on_status = on_status
        self._lock = threading.Lock()
        # A SIGTERM acted on while it was still pending: its byte, when it
        # comes through the pipe, is that same signal, not a second one.
        self._early = False
        self._fd = -1  # the pipe's read end; -1: not watching
        if threading.current_thread() is not threading.main_thread():
            return
        r, w = os.pipe()
        os.set_blocking(w, False)
        os.set_blocking(r, False)
        for signum in (signal.SIGTERM, signal.SIGUSR1):
            signal.signal(signum, _ignore)  # not the default action: our thread acts
        signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        self._fd = r
        threading.Thread(target=self._watch, name="actorcore-signals", daemon=True).start()

    def term_arrived(self) -> bool:
        """True if a SIGTERM arrived that was not yet acted on; it counts as
        acted on now (``on_term`` is not called for it)."""
        if self._fd < 0:
            return False
        with self._lock:
            if self._read():
                return True
            if not self._early and signal.SIGTERM in signal.sigpending():
                self._early = True
                return True
            return False

    def _watch(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while True:
            poller.poll()
            with self._lock:
                try:
                    term = self._read()
                except OSError:
                    return
            if term:
                self._on_term()

    def _read(self) -> bool:
        """Under the lock: take what the pipe holds; True if it held a new SIGTERM."""
        try:
            got = os.read(self._fd, 64)
        except BlockingIOError:
            return False
        term = False
        for signum in got:
            if signum == signal.SIGTERM:
                if self._early:
                    self._early = False
                else:
                    term = True
            elif signum == signal.SIGUSR1:
                self._on_status()
        return term


def _ignore(signum: int, frame: Any) -> None:
    """A signal's Python-level handler: the work is done by the thread that reads the wakeup pipe."""
