"""Who holds a port (for startup failures that say what to change, docs/api.md §9.5).

Linux only (reads /proc); elsewhere, and for processes we may not inspect,
the answer is simply empty.
"""
from __future__ import annotations

import os


def _inodes(port: int, proto: str) -> set[str]:
    found: set[str] = set()
    for table in (f"/proc/net/{proto}", f"/proc/net/{proto}6"):
        try:
            with open(table) as fh:
                next(fh, None)
                for line in fh:
                    fields = line.split()
                    if len(fields) > 9 and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        if proto == "udp" or fields[3] in ("0A", "07"):  # listening, or bound only
                            found.add(fields[9])
        except (OSError, ValueError, IndexError):
            continue
    return found


def port_holder(port: int, proto: str = "tcp") -> str:
    """``"pid 1234 (python3 ...)"`` for the process listening on ``port``, or ``""``."""
    inodes = {f"socket:[{i}]" for i in _inodes(port, proto) if i != "0"}
    if not inodes:
        return ""
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return ""
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
                    return f"pid {pid} ({cmd[:80]})" if cmd else f"pid {pid}"
        except OSError:
            continue
    return ""
