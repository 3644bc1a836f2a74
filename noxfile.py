"""Sessions for the whole repository: tests per base, the matrix, lint, types, demo, bench.

Every session runs on the interpreter nox itself runs under (no pinned
versions) and installs local folders as ordinary, non-editable installs, so
what is tested is what a user would get from the built distributions.
"""

from __future__ import annotations

import json
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CORE = "./actorcore"

# Folder -> the system base name its plugin registers. Only folders that
# exist *and* have a pyproject.toml take part, so a base joins the matrix
# the moment its distribution is written.
BASE_NAMES = {
    "actorbase-simple": "simpleSystemBase",
    "actorbase-queue": "multiprocQueueBase",
    "actorbase-udp": "multiprocUDPBase",
    "actorbase-tcp": "multiprocTCPBase",
    "actorbase-ray": "rayBase",
}
# Base folders not installed in "all": rayBase brings Ray (an 80 MB wheel, a
# few seconds to start) and a Ray worker process per actor.
OWN_SESSION_ONLY = {"actorbase-ray"}
# The bases "all" runs the behaviour suite on, with every other plugin
# installed beside them: one in-process, one multiprocess. Each base's own
# session already ran the whole suite on it (with the extras installed), so
# "all" checks that the plugins live together, not every base a second time.
ALL_RUNS_ON = ["simpleSystemBase", "multiprocQueueBase"]
# Bases written in the tests, as a third party would write them (folder -> base
# name): each is a `tests` target of its own, never part of "all".
TEST_BASES = {"tests/unixbase": "multiprocUnixTestBase"}
EXTRAS = ["sourceauth-zip"]  # distributions that add no base but join the matrix
# Capability sets a base's own session also runs part of the behaviour suite
# under (docs/api.md §6.3.4): they change how systems reach each other, never what
# actors see, so the parts that move messages and join systems are run again.
VARIANTS = {
    "actorbase-tcp": [{"Admin Routing": True}, {"Outbound Only": True}],
}
VARIANT_TESTS = ["tests/test_conventions.py", "tests/test_multiprocess.py", "tests/test_ask_listen.py",
                 "tests/test_dead_letters.py", "tests/test_admin_port.py"]

# pytest-xdist workers per pytest run of the suite. The suite mostly waits
# (timeouts running out, processes starting and ending): run one at a time,
# the TCP base's keeps 8% of two cores busy. Four workers took its suite from
# 194 s to 73 s on two cores. rayBase's tests wait on Ray worker processes
# starting, a full core each: three workers took its suite from 840 s to
# 491 s but kept both cores full, and one ask then outlasted its 10 s bound
# in CI; two leave room. Each worker is a pytest process of its own, with its own systems,
# secret directories and, on rayBase, its own local Ray; the suite already
# holds to running side by side (free ports, per-system names). `nox -s tests
# -- -n 0` runs it in one process.
WORKERS = {"actorbase-ray": 2}
DEFAULT_WORKERS = 4

nox.options.sessions = ["tests", "lint", "types"]
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True


def _has_pyproject(folder: str) -> bool:
    return (ROOT / folder / "pyproject.toml").is_file()


def _base_folders() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("actorbase-*/pyproject.toml"))


def _test_base_folders() -> list[str]:
    return [f for f in TEST_BASES if _has_pyproject(f)]


def _base_name(session: nox.Session, folder: str) -> str:
    # A new base folder must say which base name it registers, or its run
    # could not narrow ACTORCORE_TEST_BASES to it.
    names = {**BASE_NAMES, **TEST_BASES}
    if folder not in names:
        session.error(f"add {folder!r} to BASE_NAMES in noxfile.py (folder -> base name)")
    return names[folder]


def _install(session: nox.Session, *folders: str) -> None:
    # One pip command for the core and its plugins: pip then satisfies the
    # plugins' `actorcore==0.1.0` with the local folder, never with PyPI
    # (where an unrelated project may own that name).
    session.install(CORE, *(f"./{f}" for f in folders))


def _install_test_requirements(session: nox.Session, where: Path) -> None:
    reqs = where / "requirements.txt"
    session.install("pytest", *(["-r", str(reqs.relative_to(ROOT))] if reqs.is_file() else []))


def _workers(target: str) -> list[str]:
    return ["-n", str(WORKERS.get(target, DEFAULT_WORKERS))]


def _run_plugin_unit_tests(session: nox.Session, folders: list[str]) -> None:
    # Separate pytest runs: plugin test modules may share basenames with the
    # behaviour suite's, which one rootdir-wide run would refuse to import.
    # One process each: they are short (under a minute), and they look
    # closely at one system's sockets and processes.
    for folder in folders:
        if (ROOT / folder / "tests").is_dir():
            session.run("pytest", f"{folder}/tests", "-rfE", *session.posargs)


_TARGETS = [*_base_folders(), *_test_base_folders(), "all"]


@nox.session
@nox.parametrize("target", _TARGETS, ids=_TARGETS)
def tests(session: nox.Session, target: str) -> None:
    """The behaviour suite on one base in a venv holding that base and the
    extras; "all": every base installed together, the suite on ALL_RUNS_ON."""
    extras = [e for e in EXTRAS if _has_pyproject(e)]
    if target == "all":
        together = [f for f in _base_folders() if f not in OWN_SESSION_ONLY]
        folders = together + extras
        installed = [_base_name(session, f) for f in together]
        bases = [b for b in ALL_RUNS_ON if b in installed]
    else:
        # the extras too, so what they add (loaded sources) is tested on every base
        folders = [target, *extras]
        bases = [_base_name(session, target)]
    _install(session, *folders)
    _install_test_requirements(session, ROOT / "tests")
    # Naming the bases (rather than "whatever is installed") makes the run
    # fail loudly if a plugin did not register, instead of testing less.
    env = {"ACTORCORE_TEST_BASES": ",".join(bases)}
    # -rsfE: each skip's reason (a base's declared features) is in the log,
    # and each failure's name, which .ci/run's summary repeats
    session.run("pytest", "tests", "-rsfE", *_workers(target), *session.posargs, env=env)
    if target != "all":
        for caps in VARIANTS.get(target, []):
            session.log(f"behaviour suite again, with capabilities {caps}")
            session.run("pytest", *VARIANT_TESTS, "-q", "-rfE", *_workers(target), *session.posargs,
                        env={**env, "ACTORCORE_TEST_CAPABILITIES": json.dumps(caps)})
        # a test base's own tests are under tests/: the run above had them
        _run_plugin_unit_tests(session, [target] if target not in TEST_BASES else [])
    else:
        _run_plugin_unit_tests(session, [e for e in EXTRAS if _has_pyproject(e)])


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check over the repository (configuration: ruff.toml)."""
    session.install("ruff")
    session.run("ruff", "check", ".", *session.posargs)


@nox.session
def types(session: nox.Session) -> None:
    """mypy on every distribution: the core and each plugin."""
    folders = _base_folders() + [e for e in EXTRAS if _has_pyproject(e)] + _test_base_folders()
    session.install("mypy", "pytest", CORE)  # pytest: actorcore.testing imports it
    session.install(*(f"./{f}" for f in folders))
    session.run(
        "mypy",
        "--ignore-missing-imports",
        "--strict-equality",
        "--warn-unused-ignores",
        "--warn-redundant-casts",
        "--disallow-untyped-defs",
        "actorcore/src/actorcore",
        *(str(p.parent) for f in folders for p in sorted((ROOT / f / "src").glob("*/__init__.py"))),
        *session.posargs,
    )


@nox.session
def demo(session: nox.Session) -> None:
    """`actorcore demo` on the default base, installed as a user would."""
    _install(session, "actorbase-simple")
    session.run("actorcore", "bases")
    session.run("actorcore", "demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (not tests): `nox -s bench -- [args for bench/run.py]`."""
    extras = [e for e in EXTRAS if _has_pyproject(e)]
    _install(session, *_base_folders(), *extras)
    reqs = ROOT / "bench" / "requirements.txt"
    if reqs.is_file():
        session.install("-r", "bench/requirements.txt")
    else:
        # thespian: the reference every figure is compared with; trustme: the
        # certificates of --security's TLS variant
        session.install("thespian==4.0.1", "trustme")
    session.run("python", "bench/run.py", *session.posargs)
