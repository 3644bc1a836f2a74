"""Applying ``logDefs`` (docs/api.md §7.1) and the default actor-aware format."""
from __future__ import annotations

import logging
import logging.config
import os
from typing import Any

ACCEPTED = "a logging.config.dictConfig dict, None (default), False (leave logging alone) or 'BestForBase'"


def check(logDefs: Any) -> None:
    """Raise ValueError for a logDefs that is none of the accepted forms."""
    if logDefs is None or logDefs is False or isinstance(logDefs, dict) or logDefs == "BestForBase":
        return
    raise ValueError(f"logDefs must be {ACCEPTED}; got {logDefs!r}")


class ActorAwareFormatter(logging.Formatter):
    """Shows ``actorAddress`` for records from actors, a plain line otherwise."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._actor = logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s %(actorAddress)s: %(message)s"
        )

    def format(self, record: logging.LogRecord) -> str:
        if hasattr(record, "actorAddress"):
            return self._actor.format(record)
        return super().format(record)


def default_config() -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"actor": {"()": ActorAwareFormatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "actor", "level": "INFO"}
        },
        "root": {"handlers": ["stderr"], "level": "INFO"},
    }


def admin_log_path(base_name: str, port: Any) -> str:
    """Where a detached (UDP/TCP) admin started with the default ``logDefs``
    writes its log: ``$XDG_STATE_HOME/actorcore/<base>-<port>.log`` (default
    ``~/.local/state``), in a directory only this user can read. Its stderr
    is /dev/null: a stderr handler there would lose every traceback."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    folder = os.path.join(state, "actorcore")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return os.path.join(folder, f"{base_name}-{port}.log")


def file_config(path: str) -> dict[str, Any]:
    """The default configuration, writing to the file ``path`` instead of stderr."""
    config = default_config()
    config["handlers"] = {"file": {"class": "logging.FileHandler", "filename": path,
                                   "formatter": "actor", "level": "INFO"}}
    config["root"] = {"handlers": ["file"], "level": "INFO"}
    return config


def apply(logDefs: Any, where: str) -> None:
    """Configure logging in this process; dictConfig errors propagate."""
    if logDefs is False:
        if where == "logger":
            logging.basicConfig()
        return
    if logDefs is None:
        logging.config.dictConfig(default_config())
        return
    logging.config.dictConfig(logDefs)
