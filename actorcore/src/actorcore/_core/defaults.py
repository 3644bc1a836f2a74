"""The core's own hook implementations: the fallbacks every plugin may override."""
from __future__ import annotations

from typing import Any

from .. import logsetup
from . import thesplog
from .hookspecs import hookimpl


@hookimpl(trylast=True)
def actorcore_configure_logging(base_name: str, logDefs: Any, where: str) -> bool:
    logsetup.apply(logDefs, where)
    return True


@hookimpl(trylast=True)
def actorcore_internal_log(level: int, text: str) -> bool:
    thesplog.write(level, text)
    return True
