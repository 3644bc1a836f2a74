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
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

import pytest

from ._core import plugins
from ._core.registry import FEATURES, SystemBaseInfo


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


#: the socket kind of each ``admin_port`` a base may declare
_PORT_KINDS = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}


def _port_free_for_both() -> int:
    """A port free for TCP and UDP alike: for a base that listens on an Admin
    Port without declaring over which protocol."""
    while True:
        port = free_port(socket.SOCK_STREAM)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def admin_port_for(info: SystemBaseInfo) -> int:
    """A free port on 127.0.0.1 of the protocol base ``info`` declares for its
    Admin Port (free for both TCP and UDP if it declares none)."""
    if info.admin_port in _PORT_KINDS:
        return free_port(_PORT_KINDS[info.admin_port])
    return _port_free_for_both()


def capabilities_for(info: SystemBaseInfo) -> dict[str, Any]:
    """Capabilities for a test system of base ``info``: a free Admin Port where
    it has one, and those of ``ACTORCORE_TEST_CAPABILITIES``."""
    caps: dict[str, Any] = {}
    if info.admin_port is not None or "Admin Port" in info.capabilities:
        caps["Admin Port"] = admin_port_for(info)
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


def missing_features(info: SystemBaseInfo, *needed: str, **values: Any) -> str | None:
    """Why a test that needs these features cannot run on base ``info``, or
    ``None`` if it can: each of ``needed`` declared true, each of ``values``
    declared with that value. An undeclared feature satisfies neither, so a
    base that declares nothing is skipped rather than failed."""
    unknown = sorted((set(needed) | set(values)) - set(FEATURES))
    if unknown:
        raise pytest.UsageError(f"unknown features {unknown}; known: {sorted(FEATURES)}")
    wants = [(name, name, bool(getattr(info, name))) for name in needed]
    wants += [(name, f"{name}={want!r}", getattr(info, name) == want) for name, want in values.items()]
    for name, need, met in wants:
        if not met:
            got = getattr(info, name)
            said = "does not declare it" if got is None else f"declares {name}={got!r}"
            return f"needs a base with {need}; {info.name} {said} (features: docs/plugins.md)"
    return None


def require(info: SystemBaseInfo, *needed: str, **values: Any) -> None:
    """Skip the running test, saying why, unless base ``info`` declares these
    features: ``@pytest.mark.requires(*needed, **values)`` for a fixture, or
    for a test whose need depends on what it finds."""
    why = missing_features(info, *needed, **values)
    if why is not None:
        pytest.skip(why)


def declared(info: SystemBaseInfo, name: str) -> Any:
    """The value base ``info`` declares for feature ``name``; skips the running
    test, saying so, if the base does not declare it (for a test that checks
    one behaviour or the other, by the feature)."""
    if name not in FEATURES:
        raise pytest.UsageError(f"unknown feature {name!r}; known: {sorted(FEATURES)}")
    value = getattr(info, name)
    if value is None:
        pytest.skip(f"needs a base that declares {name}; {info.name} does not "
                    "(features: docs/plugins.md)")
    return value


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


#: the kernel's flag (``/proc/PID/stat``, field 9) for a process inside exit()
_PF_EXITING = 0x4


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
        parent = _parent_if_running(stat)
        if parent is None:
            continue
        if _is_resource_tracker(name):
            continue  # multiprocessing's own helper (spawn starts it); it ends with its parent
        parents[int(name)] = parent
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def _parent_if_running(stat: bytes) -> int | None:
    """The parent PID from a ``/proc/PID/stat`` line; None for a process that
    has ended as far as a test is concerned."""
    fields = stat[stat.rfind(b")") + 2 :].split()
    if fields[0] == b"Z":
        return None  # a zombie is dead; its parent just has not reaped it yet
    if int(fields[6]) & _PF_EXITING:
        return None  # it has begun to exit (its memory may be gone already): nothing holds it
    return int(fields[1])


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
    """Orphans of this test process (the detached admins of shared systems)
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

    from ._core.keys import SECRET_ENV

    os.environ.setdefault(SECRET_ENV, secrets.token_hex(16))
    for var, prefix in (("XDG_CONFIG_HOME", "actorcore-test-config-"),
                        # where detached admins started with the default logDefs write their logs
                        ("XDG_STATE_HOME", "actorcore-test-state-")):
        _made_dirs.append((var, os.environ.get(var), tempfile.mkdtemp(prefix=prefix)))
        os.environ[var] = _made_dirs[-1][2]


#: (variable, its value before, the directory made for it) of ``_own_secret``
_made_dirs: list[tuple[str, str | None, str]] = []


def _remove_own_dirs() -> None:
    """The run is over: its temporary directories go, and the variables
    are as they were (a run must not leave a directory in /tmp behind)."""
    import shutil

    while _made_dirs:
        var, before, path = _made_dirs.pop()
        shutil.rmtree(path, ignore_errors=True)
        if os.environ.get(var) == path:
            if before is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = before


def pytest_configure(config: pytest.Config) -> None:
    _become_subreaper()
    _own_secret()
    config.addinivalue_line(
        "markers",
        "requires(*features, reason=None, **values): run only on bases that declare these "
        "features (actorcore._core.registry.FEATURES: each named one true, each keyword one with "
        "that value); elsewhere skip, saying which feature is missing",
    )
    config.addinivalue_line(
        "markers", "multiprocess_only(reason): requires('multiprocess'), with that reason"
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    _remove_own_dirs()


def _skip_reason(item: pytest.Item, info: SystemBaseInfo) -> str | None:
    """Why ``item`` skips on base ``info`` by its ``requires`` and
    ``multiprocess_only`` markers (``None``: it runs)."""
    for mark in item.iter_markers():
        if mark.name == "requires":
            values = dict(mark.kwargs)
            reason = values.pop("reason", None)
            why = missing_features(info, *mark.args, **values)
        elif mark.name == "multiprocess_only":
            reason = mark.args[0] if mark.args else None
            why = missing_features(info, "multiprocess")
        else:
            continue
        if why is not None:
            return f"{reason}: {why}" if reason else why
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, at collection, each test whose markers ask for features its base
    lacks. A marker on a test that does not run per base would never be
    looked at, so it is an error."""
    registry = plugins.registry()
    for item in items:
        callspec = getattr(item, "callspec", None)
        base = callspec.params.get("asys_base") if callspec is not None else None
        if base is None:
            own = [m.name for m in item.own_markers if m.name in ("requires", "multiprocess_only")]
            if own:
                raise pytest.UsageError(
                    f"{item.nodeid}: @pytest.mark.{own[0]} needs a test that runs per base "
                    "(one that takes asys, asys_base or asys_info)"
                )
            continue
        info = registry.get(base)
        why = _skip_reason(item, info) if info is not None else None
        if why is not None:
            item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture
def asys_info(asys_base: str) -> SystemBaseInfo:
    """The registry entry of the base under test."""
    info = plugins.registry().get(asys_base)
    assert info is not None
    return info


@contextmanager
def running_system(base: str, capabilities: Mapping[str, Any] | None = None, *,
                   logDefs: Any = False, limit: float = 10.0) -> Iterator[Any]:
    """A fresh ``transientUnique`` system of ``base``, shut down on leaving;
    then fails the test if a process it started is still alive after
    ``limit`` seconds."""
    from ._core.system import ActorSystem

    before = descendants()
    system = ActorSystem(base, capabilities=dict(capabilities or {}), logDefs=logDefs,
                         transientUnique=True)
    try:
        yield system
    finally:
        system.shutdown()
    left = wait_no_descendants(before, limit)
    assert not left, f"processes left after shutdown of {base}: {_described(left)}"


def _described(pids: set[int]) -> str:
    """PIDs with their command lines, so a leftover says what it is."""
    out = []
    for pid in sorted(pids):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = "(gone)"
        out.append(f"{pid} {cmd[:200]}")
    return "; ".join(out)


@pytest.fixture
def asys(asys_base: str, asys_info: SystemBaseInfo) -> Iterator[Any]:
    """A fresh actor system of each installed base, shut down afterwards."""
    # limit 0: shutdown returns only when every process is gone
    with running_system(asys_base, capabilities_for(asys_info), limit=0) as system:
        yield system
