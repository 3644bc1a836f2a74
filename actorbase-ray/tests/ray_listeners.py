"""Which of a set of processes listen on TCP, and what each is (for test_local_start)."""
from __future__ import annotations

import os
import subprocess


def kind(pid: int) -> str:
    """A process's program: its executable's name, or for Python its script's."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return "?"
    if not argv:
        return "?"
    name = os.path.basename(argv[0])
    if name.startswith("python"):
        scripts = [a for a in argv[1:] if a.endswith(".py")]
        return os.path.basename(scripts[0]) if scripts else name
    return name.split()[0]


def listeners(pids: set[int]) -> list[tuple[int, str]]:
    """(port, kind) of every listening TCP socket of ``pids``."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        for pid in pids:
            if f"pid={pid}," in line:
                found.append((int(line.split()[3].rsplit(":", 1)[1]), kind(pid)))
                break
    return found
