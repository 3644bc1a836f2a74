"""A spare actor process, forked in advance.

Forking costs the admin 1-3 ms, and a new process pays about as much again
in copy-on-write faults before it can start its actor. A spare waits on a
pipe; a create hands it the actor's link and boot record, and it becomes
that actor at once. The admin forks the next spare right after the hand-over,
while that actor starts (the admin would otherwise wait for it): a create
that follows at once finds a spare ready and an admin not busy forking. Only for
the fork start method, and only for transports whose links are plain
addresses (a link holding file descriptors made after the spare was forked
could not reach it). ``ACTORCORE_SPARE_PROCESSES=0`` turns spares off.
"""
from __future__ import annotations

import os
import pickle
import signal
import struct
from typing import Any

from ..transport import optional
from . import procs, titles
from .bootdata import ActorBoot

_LEN = struct.Struct("!I")


def wanted(start_method: str, transport: Any) -> bool:
    if os.environ.get("ACTORCORE_SPARE_PROCESSES", "1").strip() == "0":
        return False
    return start_method == "fork" and bool(optional(transport, "links_are_addresses"))


class Spare:
    """The admin's handle on one waiting process."""

    def __init__(self, ctx: Any, target: Any) -> None:
        rfd, self.wfd = os.pipe()
        self.proc = ctx.Process(target=spare_main, args=(rfd, self.wfd, target),
                                name="actorcore-actor (spare)", daemon=False)
        try:
            self.proc.start()
            procs.untracked(self.proc)
        finally:
            os.close(rfd)

    @property
    def sentinel(self) -> int:
        return int(self.proc.sentinel)

    def hand_over(self, link: Any, boot: ActorBoot) -> bool:
        """Give the spare its actor; False if it is gone (the caller forks as usual)."""
        data = pickle.dumps((link, boot), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            os.write(self.wfd, _LEN.pack(len(data)))
            view = memoryview(data)
            while view:
                view = view[os.write(self.wfd, view):]
        except OSError:
            self.discard()
            return False
        finally:
            self._close()
        return True

    def discard(self) -> None:
        """Stop a spare nobody will use (shutdown, or it broke). It holds no
        state, and may still carry the admin's signal handlers: SIGKILL."""
        self._close()
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5.0)

    def _close(self) -> None:
        if self.wfd >= 0:
            try:
                os.close(self.wfd)
            except OSError:
                pass
            self.wfd = -1


def _read_exactly(fd: int, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return bytes(out)


def spare_main(fd: int, wfd: int, target: Any) -> None:
    """Wait for an actor to become; leave quietly if the admin closes the pipe."""
    os.close(wfd)  # our copy of the admin's end, or the admin's close would never reach us
    titles.set_title("actorcore actor (spare)")
    procs.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the admin's handlers came with the fork; a waiting spare just dies on SIGTERM
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    try:
        size = _LEN.unpack(_read_exactly(fd, _LEN.size))[0]
        link, boot = pickle.loads(_read_exactly(fd, size))
    except (EOFError, OSError):
        return
    finally:
        os.close(fd)
    target(link, boot)
