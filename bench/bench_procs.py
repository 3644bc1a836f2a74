"""Process bookkeeping and free ports, with nothing but /proc and sockets.

Used by the workload runner (to find processes an actor system left behind)
and by the driver (to clean up after a worker that hung or crashed).  Only
processes this benchmark started are ever signalled, always by PID.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgrp: int
    session: int
    state: str
    comm: str


def _read_stat(pid: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode(errors="replace")
    except OSError:  # the process went away while we looked
        return None
    # comm is in parentheses and may itself contain spaces or ')'.
    lpar, rpar = raw.index("("), raw.rindex(")")
    fields = raw[rpar + 2 :].split()
    return Proc(
        pid=pid,
        ppid=int(fields[1]),
        pgrp=int(fields[2]),
        session=int(fields[3]),
        state=fields[0],
        comm=raw[lpar + 1 : rpar],
    )


def running(pid: int) -> bool:
    """Whether ``pid`` is alive (a zombie only waits to be reaped)."""
    p = _read_stat(pid)
    return p is not None and p.state not in ("Z", "X")


def all_procs() -> list[Proc]:
    procs = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            p = _read_stat(int(name))
            if p is not None:
                procs.append(p)
    return procs


def descendants(root: int, *, include_zombies: bool = False) -> list[Proc]:
    """Processes whose ppid chain leads to ``root`` (``root`` excluded).

    Zombies have exited already and only wait to be reaped, so they are not
    counted as left over unless asked for.
    """
    procs = all_procs()
    children: dict[int, list[Proc]] = {}
    for p in procs:
        children.setdefault(p.ppid, []).append(p)
    out: list[Proc] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child.pid)
    return [p for p in out if include_zombies or p.state != "Z"]


def cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and every process
    below it, counting the children each has reaped: the difference of two
    readings is what the whole system of processes burnt in between."""
    total = 0
    for pid in [root] + [p.pid for p in descendants(root)]:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:  # gone meanwhile: its parent's reaped-children figures have it
            continue
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def in_session(sid: int) -> list[Proc]:
    """Live processes of session ``sid``: catches descendants that were
    re-parented to init when their parent died (their ppid chain is broken,
    but they keep the session the driver gave the worker)."""
    return [p for p in all_procs() if p.session == sid and p.state != "Z"]


def wait_gone(find: Callable[[], list[Proc]], timeout: float) -> list[Proc]:
    """Poll ``find()`` until it returns nothing or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    left = find()
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = find()
    return left


def kill_pids(procs: list[Proc]) -> None:
    for p in procs:
        try:
            os.kill(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def become_subreaper() -> bool:
    """Make orphaned descendants re-parent to this process instead of init.

    Thespian's multiprocess admin daemonizes (fork, setsid, fork): without
    this its ppid chain ends at init and it is in a session of its own, so
    neither a descendant scan nor the worker's process group would find or
    kill it after a hang. Linux-only (prctl PR_SET_CHILD_SUBREAPER); returns
    False where unavailable, and the scans then see less.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_zombie_children() -> None:
    """Reap exited orphans that were re-parented to us (as subreaper)."""
    me = os.getpid()
    for p in descendants(me, include_zombies=True):
        if p.ppid == me and p.state == "Z":
            try:
                os.waitpid(p.pid, os.WNOHANG)
            except ChildProcessError:
                pass


def free_port() -> int:
    """A loopback port that is free for both TCP and UDP right now (the UDP
    base binds UDP, the TCP base TCP; checking both keeps it simple)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port found")
