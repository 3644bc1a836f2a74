"""Process helpers: start methods, parent-death signals, reaping what we started."""
from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.process
import os
import signal
import sys
import time
from typing import Any

from ..errors import ActorSystemStartupError

START_METHOD = "Process Startup Method"
_libc: Any = None


def context(capabilities: dict[str, Any], allowed: tuple[str, ...]) -> Any:
    """The multiprocessing context for the ``Process Startup Method`` capability."""
    method = capabilities.get(START_METHOD)
    if method is None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if method not in allowed or method not in multiprocessing.get_all_start_methods():
        raise ActorSystemStartupError(
            f"{START_METHOD} {method!r} is not available here; use one of "
            f"{', '.join(m for m in allowed if m in multiprocessing.get_all_start_methods())}"
        )
    return multiprocessing.get_context(method)


def untracked(proc: Any) -> None:
    """Take a started actor process off multiprocessing's list of children:
    every ``Process.start`` polls each process on it (a ``waitpid`` apiece),
    which made each create cost more with every actor alive. The admin's
    supervisor reaps its processes itself (join, by their sentinels)."""
    children = getattr(multiprocessing.process, "_children", None)
    if isinstance(children, set):
        children.discard(proc)


def libc() -> Any:
    """The C library, loaded once and inherited by forked children (every
    actor process calls prctl through it as it starts)."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        pr_set_pdeathsig = 1
        libc().prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except Exception:  # best effort: the getppid() poll is the fallback
        pass


def kill_group(pgid: int) -> None:
    """SIGKILL the process group we created (the admin and its actors)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(pid: int, limit: float) -> bool:
    """SIGKILL ``pid`` and the process group it leads, again and again until
    neither has a live process or ``limit`` seconds pass; True when none is
    left. A process handed to us (as subreaper) is reaped.

    Both, and repeatedly, because a process that makes its own group does so
    some time after its creator learned its pid: a group kill sent before
    that finds no group (and kills nothing), while the process goes on to
    fork its spare and actors into the group it then makes.
    """
    deadline = time.monotonic() + limit
    leader = True  # whether ``pid`` itself may still be the process we mean
    while True:
        if leader:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        kill_group(pid)
        _reap(pid)
        leader = leader and pid_alive(pid)  # once gone, the pid may be another's
        if not leader and not group_alive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def wait_exit(pid: int, limit: float) -> None:
    """Wait (bounded) for ``pid``, which need not be our child, to be gone;
    reap it if it was handed to us (a subreaper, as in tests)."""
    deadline = time.monotonic() + limit
    while pid and pid_alive(pid) and time.monotonic() < deadline:
        if _reap(pid):
            return
        time.sleep(0.01)


def _reap(pid: int) -> bool:
    """Reap ``pid`` if it is our child and has ended; whether it was."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return False


def group_alive(pgid: int) -> bool:
    """Whether the process group ``pgid`` has a live member (zombies, dead
    but not reaped by whoever they were handed to, do not count)."""
    try:
        names = os.listdir("/proc")
    except OSError:  # no /proc: a group of zombies counts as alive here
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] != b"Z":
            return True
    return False


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:  # reaped between the two looks
        return False
    except (OSError, IndexError):
        return True
