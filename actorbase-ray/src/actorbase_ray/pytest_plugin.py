"""pytest plugin: one local Ray for a whole test session that tests rayBase.

Started just before the first test that runs on rayBase (before its fixtures
note which processes exist), so every rayBase system of the session joins it
(a fresh namespace each) instead of starting and ending a Ray of its own,
and Ray's own processes are never taken for ones a test left behind. Ended
when the session ends. A session that runs nothing on rayBase starts no Ray."""
from __future__ import annotations

from typing import Any

import pytest

_started = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: Any) -> None:
    global _started
    callspec = getattr(item, "callspec", None)
    if _started or callspec is None or callspec.params.get("asys_base") != "rayBase":
        return
    import ray

    if ray.is_initialized():
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
