"""One local Ray for this folder's tests, started before any test notes its
processes and ended after the last; the session fails if Ray left one."""
from __future__ import annotations

import os
from typing import Iterator

import pytest

from actorcore.testing import descendants, wait_no_descendants

# Ray's workers import actor classes by module name, as this folder's test
# modules are imported here (top-level, from this folder): they inherit this
# search path from the Ray started below.
_here = os.path.dirname(os.path.abspath(__file__))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (_here, os.environ.get("PYTHONPATH")) if p)


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    import ray
    from actorbase_ray.start import start_local

    if ray.is_initialized():  # the session plugin started it (ACTORCORE_TEST_BASES=rayBase)
        yield
        return
    before = descendants()
    start_local()
    try:
        yield
    finally:
        ray.shutdown()
    left = wait_no_descendants(before, 30.0)
    assert not left, f"Ray left processes: {sorted(left)}"
