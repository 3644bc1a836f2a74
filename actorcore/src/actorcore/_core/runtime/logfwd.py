"""Log forwarding (docs/api.md §7.2): actor processes send records to the admin,
the only process that writes logs."""
from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

_local = threading.local()


def threshold(logDefs: Any) -> int:
    """The lowest level named anywhere in a dictConfig dict (unset counts as 0)."""
    if not isinstance(logDefs, dict):
        return 0
    levels: list[int] = []

    def level_of(section: Any) -> None:
        if not isinstance(section, dict):
            return
        raw = section.get("level")
        if raw is None:
            levels.append(0)
        elif isinstance(raw, int):
            levels.append(raw)
        else:
            value = logging.getLevelName(str(raw).upper())
            levels.append(value if isinstance(value, int) else 0)

    for group in ("handlers", "loggers"):
        for section in (logDefs.get(group) or {}).values():
            level_of(section)
    level_of(logDefs.get("root") or {})
    return min(levels) if levels else 0


def picklable(record: logging.LogRecord, actor: str) -> dict[str, Any]:
    """The record as a plain dict: message merged with args, traceback as text."""
    data = dict(record.__dict__)
    try:
        data["msg"] = record.getMessage()
    except Exception:
        data["msg"] = f"{record.msg!r} (log arguments could not be formatted)"
    data["args"] = None
    if record.exc_info:
        data["exc_text"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
    data["exc_info"] = None
    data.setdefault("actorAddress", actor)
    for key, value in list(data.items()):
        if not isinstance(value, (str, int, float, bool, type(None), tuple, list, dict)):
            try:
                data[key] = str(value)
            except Exception:
                data[key] = "<unprintable>"
    return data


class ForwardingHandler(logging.Handler):
    """Sends every record to the admin's logger as a runtime message."""

    def __init__(self, send: Callable[[dict[str, Any]], None], actor: str) -> None:
        super().__init__()
        self._send = send
        self._actor = actor

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(_local, "busy", False):
            return  # a record produced while forwarding one: drop, never recurse
        _local.busy = True
        try:
            self._send(picklable(record, self._actor))
        except Exception:
            pass
        finally:
            _local.busy = False


def _refuse(*_: Any, **__: Any) -> None:
    raise NotImplementedError(
        "the root logger of an actor process forwards to the admin's logger; configure "
        "handlers with logDefs, or add them to a named logger"
    )


def install(send: Callable[[dict[str, Any]], None], level: int, actor: str) -> None:
    """Make this (actor) process forward every record at ``level`` or above."""
    root = logging.getLogger()
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and logger.handlers:
            for handler in list(logger.handlers):
                logger.removeHandler(handler)  # only the admin's logger writes
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = ForwardingHandler(send, actor)
    root.handlers = [handler]
    root.setLevel(level)
    root.addHandler = _refuse  # type: ignore[method-assign]
    root.removeHandler = _refuse  # type: ignore[method-assign]


def emit_in_admin(data: dict[str, Any]) -> None:
    """Hand a forwarded record to the admin process's configured handlers."""
    record = logging.makeLogRecord(data)
    logger = logging.getLogger(record.name if record.name != "root" else None)
    if record.levelno >= logger.getEffectiveLevel() or logger.getEffectiveLevel() == 0:
        logger.handle(record)
