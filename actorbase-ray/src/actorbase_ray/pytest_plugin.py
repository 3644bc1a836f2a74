"""pytest plugin: one local Ray for a whole test session that tests rayBase.

Every rayBase system then joins it (a fresh namespace each), instead of
starting and stopping a Ray of its own per test, and Ray's own processes
exist before any test notes which processes it started. The session ends
Ray and fails if any process Ray started is left."""
from __future__ import annotations

import os
from typing import Any

_started = False


def _wanted() -> bool:
    names = [n.strip() for n in os.environ.get("ACTORCORE_TEST_BASES", "").split(",")]
    return "rayBase" in names


def pytest_sessionstart(session: Any) -> None:
    global _started
    if not _wanted():
        return
    from .start import start_local

    start_local()
    _started = True


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    global _started
    if not _started:
        return
    import ray

    _started = False
    ray.shutdown()
