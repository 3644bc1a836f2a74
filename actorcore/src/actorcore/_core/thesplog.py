"""The internal diagnostic log (docs/api.md §7.4): single lines appended to a file.

Never goes through ``logging`` (that would recurse through forwarding).
"""
from __future__ import annotations

import logging
import os
import tempfile
import time

_LEVELS = {"CRITICAL": 50, "ERROR": 40, "WARNING": 30, "INFO": 20, "DEBUG": 10}


def log_path() -> str:
    path = os.environ.get("ACTORCORE_LOG_FILE") or os.environ.get("THESPLOG_FILE")
    if path:
        return path
    return os.path.join(os.environ.get("TMPDIR") or tempfile.gettempdir(), "actorcore.log")


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        write(logging.WARNING, f"invalid {name}={raw!r}; using {default}", check_level=False)
        return default


def threshold() -> int:
    raw = os.environ.get("THESPLOG_THRESHOLD", "WARNING").strip().upper()
    level = _LEVELS.get(raw)
    if level is None:  # docs/api.md §6.4: fall back, and say so in the log itself (once)
        if raw not in _warned:
            _warned.add(raw)
            write(logging.WARNING, f"invalid THESPLOG_THRESHOLD={raw!r}; using WARNING",
                  check_level=False)
        return logging.WARNING
    return level


_warned: set[str] = set()


def write(level: int, text: str, check_level: bool = True) -> None:
    """Append one line if ``level`` reaches THESPLOG_THRESHOLD; never raises."""
    try:
        if check_level and level < threshold():
            return
        maxsize = _int_env("THESPLOG_FILE_MAXSIZE", 51200)
        if maxsize < 10240:
            return
        path = log_path()
        try:
            if os.path.getsize(path) > maxsize:
                os.replace(path, path + ".old")
        except OSError:
            pass
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        name = logging.getLevelName(level)
        line = f"{stamp} p{os.getpid()} {name} {' '.join(str(text).splitlines())}\n"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
    except Exception:  # writing failures are ignored by design
        pass
