"""pytest plugin (entry point ``pytest11``): the ``asys`` fixture over every installed base.

Any test that takes ``asys`` (or ``asys_base``) runs once per installed
system base, on a fresh ``transientUnique`` system that is shut down
afterwards. ``ACTORCORE_TEST_BASES=name1,name2`` narrows the list. A
third-party base gets our conformance suite by installing its plugin and
running the ``tests/`` of this repository.
"""
from __future__ import annotations

import json
import os
import socket
import time
from typing import Any, Callable, Iterator

import pytest

from . import plugins
from .registry import SystemBaseInfo


def installed_bases() -> list[str]:
    """Names of the bases the fixture runs on (installed, narrowed by env)."""
    names = plugins.registry().names()
    wanted = os.environ.get("ACTORCORE_TEST_BASES")
    if wanted:
        chosen = [n.strip() for n in wanted.split(",") if n.strip()]
        missing = [n for n in chosen if n not in names]
        if missing:
            raise pytest.UsageError(
                f"ACTORCORE_TEST_BASES names bases that are not installed: {missing}; "
                f"installed: {names}"
            )
        return chosen
    return names


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody is bound to right now on 127.0.0.1 (for ``Admin Port``)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def capabilities_for(info: SystemBaseInfo) -> dict[str, Any]:
    """Capabilities for a test system of base ``info``: a free Admin Port where it has one."""
    caps: dict[str, Any] = {}
    if "Admin Port" in info.capabilities:
        kind = socket.SOCK_DGRAM if "UDP" in info.name else socket.SOCK_STREAM
        caps["Admin Port"] = free_port(kind)
    extra = os.environ.get("ACTORCORE_TEST_CAPABILITIES", "").strip()
    if extra:  # a variant of a base, e.g. {"Admin Routing": true}
        try:
            more = json.loads(extra)
        except ValueError as exc:
            raise pytest.UsageError(f"ACTORCORE_TEST_CAPABILITIES is not JSON: {exc}") from None
        if not isinstance(more, dict):
            raise pytest.UsageError("ACTORCORE_TEST_CAPABILITIES must be a JSON object")
        caps.update(more)
    return caps


def log_to_file(path: str | os.PathLike[str], level: str = "INFO") -> dict[str, Any]:
    """``logDefs`` that send a system's log to ``path``, so a test can read what
    its admin and actors logged (refusals, failures). Loggers that exist
    already (a transport's) are kept: dictConfig would disable them."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"file": {"class": "logging.FileHandler", "filename": os.fspath(path)}},
        "root": {"handlers": ["file"], "level": level},
    }


def descendants(pid: int | None = None) -> set[int]:
    """PIDs of every live process below ``pid`` (default: this one), from /proc."""
    root = os.getpid() if pid is None else pid
    parents: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return set()
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] == b"Z":
            continue  # a zombie is dead; its parent just has not reaped it yet
        if _is_resource_tracker(name):
            continue  # multiprocessing's own helper (spawn starts it); it ends with its parent
        parents[int(name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _is_resource_tracker(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"resource_tracker" in fh.read()
    except OSError:
        return False


def wait_no_descendants(before: set[int], limit: float = 10.0) -> set[int]:
    """Wait (bounded) until no process started since ``before`` is alive; returns the rest."""
    deadline = time.monotonic() + limit
    while True:
        left = descendants() - before
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def until(what: Callable[[], Any], limit: float = 15.0, step: float = 0.05) -> Any:
    """Call ``what`` until it returns something true, and return that; fail the
    test (never hang) after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while True:
        got = what()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {limit} s waiting for {what}")
        time.sleep(step)


def simpleActorTestLogging() -> Any:
    """logDefs for tests (Thespian's helper name): leave logging to pytest."""
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "asys_base" in metafunc.fixturenames:
        bases = installed_bases()
        if not bases:
            raise pytest.UsageError("no actorcore system base is installed")
        metafunc.parametrize("asys_base", bases, ids=bases, scope="function")


def _become_subreaper() -> None:
    """Orphans of this test process (the detached admins of UDP/TCP systems)
    become its children, so the leftover checks can see them."""
    if not os.path.exists("/proc/self"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except Exception:
        pass


def _own_secret() -> None:
    """A test run uses a secret of its own (``ACTORCORE_SECRET``, unless the
    caller set one) and a temporary ``XDG_CONFIG_HOME``, so no test reads
    or creates the per-user secret file of whoever runs the tests. Children
    the tests start inherit both, so programs they run attach as usual."""
    import secrets
    import tempfile

    from .keys import SECRET_ENV

    os.environ.setdefault(SECRET_ENV, secrets.token_hex(16))
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="actorcore-test-config-")
    # where detached admins started with the default logDefs write their logs
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="actorcore-test-state-")


def pytest_configure(config: pytest.Config) -> None:
    _become_subreaper()
    _own_secret()
    config.addinivalue_line(
        "markers", "multiprocess_only(reason): skip on bases that run actors in-process"
    )


@pytest.fixture
def asys_info(asys_base: str, request: pytest.FixtureRequest) -> SystemBaseInfo:
    """The registry entry of the base under test."""
    info = plugins.registry().get(asys_base)
    assert info is not None
    marker = request.node.get_closest_marker("multiprocess_only")
    if marker is not None and not info.multiprocess:
        pytest.skip(marker.args[0] if marker.args else "needs a multiprocess base")
    return info


@pytest.fixture
def asys(asys_base: str, asys_info: SystemBaseInfo) -> Iterator[Any]:
    """A fresh actor system of each installed base, shut down afterwards."""
    from .system import ActorSystem

    before = descendants()
    system = ActorSystem(
        asys_base,
        capabilities=capabilities_for(asys_info),
        logDefs=False,
        transientUnique=True,
    )
    try:
        yield system
    finally:
        system.shutdown()
    left = descendants() - before  # shutdown returns only when every process is gone
    assert not left, f"processes left after shutdown of {asys_base}: {sorted(left)}"
