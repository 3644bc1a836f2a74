"""A base author needs nothing but ``actorcore.plugin`` (issue 12, steps 4 and
5): the Unix-socket base written in the tests (tests/unixbase) imports nothing
else of actorcore, and nothing beyond the standard library; the built-in
distributions import only the declared surfaces (``actorcore.plugin``, and
``actorcore.actors`` for the messages and errors users see too), so a third
party can write anything they can."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SURFACE = "actorcore.plugin"
USER_SURFACE = "actorcore.actors"
BUILT_IN = sorted(p.parent for p in ROOT.glob("*/src/*/__init__.py")
                  if p.parts[-4] != "actorcore")
UNIX_BASE = ROOT / "tests" / "unixbase" / "src" / "actorbase_unixtest"


def _imports(package: Path) -> list[tuple[str, int, str]]:
    """(file, line, module) for every absolute import in the modules under
    ``package``; ``from a import b`` counts as ``a.b`` (b may be a module)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        where = str(path.relative_to(package.parent))
        for node in ast.walk(ast.parse(path.read_text(), filename=where)):
            if isinstance(node, ast.Import):
                found += [(where, node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found += [(where, node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def beyond_surface(package: Path, surfaces: tuple[str, ...] = (SURFACE,)) -> list[str]:
    """Imports of actorcore in ``package`` that do not come from one of
    ``surfaces`` (by default actorcore.plugin alone), as ``file:line: module``."""
    return [
        f"{where}:{line}: {name}"
        for where, line, name in _imports(package)
        if name.split(".")[0] == "actorcore"
        and not any((name + ".").startswith(s + ".") for s in surfaces)
    ]


def beyond_stdlib(package: Path) -> list[str]:
    """Imports in ``package`` of anything but the standard library and actorcore."""
    allowed = {"actorcore", "__future__", *sys.stdlib_module_names}
    return [f"{where}:{line}: {name}" for where, line, name in _imports(package)
            if name.split(".")[0] not in allowed]


def test_the_unix_test_base_imports_only_the_plugin_surface():
    assert list(UNIX_BASE.glob("*.py")), f"no modules under {UNIX_BASE}"
    assert beyond_surface(UNIX_BASE) == []


@pytest.mark.parametrize("package", BUILT_IN, ids=[p.name for p in BUILT_IN])
def test_a_built_in_distribution_imports_only_the_declared_surfaces(package):
    assert list(package.glob("*.py")), f"no modules under {package}"
    assert beyond_surface(package, (SURFACE, USER_SURFACE)) == []


def test_the_built_in_distributions_are_all_checked():
    names = {p.name for p in BUILT_IN}
    assert {"actorbase_simple", "actorbase_queue", "actorbase_udp", "actorbase_tcp",
            "sourceauth_zip"} <= names


def test_the_unix_test_base_needs_nothing_but_the_standard_library():
    assert beyond_stdlib(UNIX_BASE) == []


def test_the_check_finds_every_way_of_reaching_past_the_surface(tmp_path):
    pkg = tmp_path / "somebase"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "import actorcore\n"
        "import actorcore.runtime.framing\n"
        "from actorcore import errors\n"
        "from actorcore.runtime.client import MultiprocSystem\n"
    )
    (pkg / "fine.py").write_text(
        "import socket\n"
        "import actorcore.plugin\n"
        "from actorcore import plugin\n"
        "from actorcore.plugin import framing, hookimpl\n"
        "from . import other\n"
        "from .other import actorcore\n"
    )
    assert beyond_surface(pkg) == [
        "somebase/__init__.py:1: actorcore",
        "somebase/__init__.py:2: actorcore.runtime.framing",
        "somebase/__init__.py:3: actorcore.errors",
        "somebase/__init__.py:4: actorcore.runtime.client.MultiprocSystem",
    ]
    (pkg / "more.py").write_text("import attrs\nfrom pluggy import HookimplMarker\n")
    assert beyond_stdlib(pkg) == ["somebase/more.py:1: attrs", "somebase/more.py:2: pluggy.HookimplMarker"]
