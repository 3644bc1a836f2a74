"""Process helpers: start methods, parent-death signals, reaping what we started."""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from typing import Any

from ..errors import ActorSystemStartupError

START_METHOD = "Process Startup Method"


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


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except Exception:  # best effort: the getppid() poll is the fallback
        pass


def kill_group(pgid: int) -> None:
    """SIGKILL the process group we created (the admin and its actors)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


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
    except (OSError, IndexError):
        return True
