"""Process titles, so that ``ps``, ``top`` and ``kill`` show what each process
of a system is: ``actorcore admin multiprocTCPBase 127.0.0.1:1900``,
``actorcore actor Encoder ActorAddr-T1a2b/3``.

``setproctitle`` (the ``actorcore[titles]`` extra) is used when installed: it
rewrites the whole command line on every platform it knows. Without it, on
Linux, the title is written over the process's own argument area (as the
kernel shows it in ``/proc/PID/cmdline``, cut to the length the original
command line had), and the 15-character name ``top`` and ``ps -e`` show is
set with ``prctl(PR_SET_NAME)``. Elsewhere nothing happens. A title is made
of base names, ports, class names and addresses only: never a secret.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any

from . import procs

_PR_SET_NAME = 15
_has_comm: bool | None = None  # Linux's /proc/self/comm, looked for once
#: setproctitle.setproctitle, None without the extra; looked up once and
#: inherited by forked children: a failed import searches sys.path again
#: each time, and cost a new actor process about half a millisecond.
_setproctitle: Any = ...
#: where the argument area is: a forked child has it where its parent had it
_args: tuple[int, int] | None = None


def set_title(title: str) -> None:
    """Set this process's title; best effort, never raises."""
    global _setproctitle
    if _setproctitle is ...:
        try:
            from setproctitle import setproctitle  # the actorcore[titles] extra

            _setproctitle = setproctitle
        except ImportError:
            _setproctitle = None
    if _setproctitle is not None:
        try:
            _setproctitle(title)
        except Exception:
            pass
        return
    try:
        _set_name(title)
        _set_cmdline(title)
    except Exception:
        pass


def _set_name(title: str) -> None:
    """The kernel's short name of the process (``/proc/PID/comm``, 15 bytes)."""
    global _has_comm
    if _has_comm is None:
        _has_comm = os.path.exists("/proc/self/comm")
    if _has_comm:
        procs.libc().prctl(_PR_SET_NAME, ctypes.c_char_p(title.encode()[:15]), 0, 0, 0)


def _set_cmdline(title: str) -> None:
    """Overwrite the argument area the kernel shows as ``/proc/self/cmdline``
    (its bounds are fields 48 and 49 of ``/proc/self/stat``); what does not
    fit is cut, the rest of the area is zeroed."""
    global _args
    if _args is None:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        # fields 48 and 49 of stat(5) (arg_start, arg_end), counted from the state (field 3)
        _args = int(fields[45]), int(fields[46])
    start, end = _args
    size = end - start
    if size <= 1:
        return
    data = title.encode()[: size - 1]
    with open("/proc/self/mem", "r+b", buffering=0) as mem:
        mem.seek(start)
        mem.write(data + b"\0" * (size - len(data)))


def admin_title(base_name: str, transport: Any) -> str:
    where = getattr(transport, "listen_address", "") or getattr(transport, "address", "")
    return f"actorcore admin {base_name} {where}".rstrip()


def actor_title(spec: str, address: Any) -> str:
    return f"actorcore actor {spec.rsplit('.', 1)[-1]} {address}"
