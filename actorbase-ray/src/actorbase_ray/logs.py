"""Logging in a rayBase process (an actor's host or the admin).

``logDefs`` apply in each process that runs actor code, never in the
program's own (a multiprocess base leaves the caller's logging alone), and
every record made there carries ``actorAddress``, so a format that names it
works for records of plain loggers too (as on the other multiprocess bases)."""
from __future__ import annotations

import logging
import os
from typing import Any

from actorcore.plugin import plugin_hooks


def check(logDefs: Any) -> str | None:
    """Why ``logDefs`` cannot configure logging here, or None when it did."""
    if not logDefs or logDefs == "BestForBase":
        return None
    try:
        plugin_hooks().actorcore_configure_logging(base_name="rayBase", logDefs=logDefs, where="logger")
    except Exception as exc:
        return f"logDefs rejected by logging.config.dictConfig: {type(exc).__name__}: {exc}"
    return None


class _Tag(logging.Filter):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "actorAddress"):
            record.actorAddress = self.address
        return True


def tag_records(address: str) -> None:
    """Records that reach a handler configured so far name ``address`` unless
    they name an actor already (a handler filter: a record factory would
    collide with the ``extra`` of an actor's own logger adapter)."""
    tag = _Tag(address)
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            handler.addFilter(tag)


#: the internal log's settings (docs/logging.md): Ray's workers inherit the
#: environment of Ray's start, not of the program, so they travel with each create
INTERNAL_LOG_ENV = ("ACTORCORE_LOG_FILE", "THESPLOG_FILE", "THESPLOG_THRESHOLD", "THESPLOG_FILE_MAXSIZE")


def internal_log_env() -> dict[str, str]:
    """This process's internal-log settings, for a process it has Ray start."""
    return {k: os.environ[k] for k in INTERNAL_LOG_ENV if k in os.environ}


def use_internal_log_env(env: dict[str, str]) -> None:
    """Take the internal-log settings of whoever made this process."""
    for key in INTERNAL_LOG_ENV:
        if key in env:
            os.environ[key] = env[key]
        else:
            os.environ.pop(key, None)
