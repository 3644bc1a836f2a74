"""A base author needs nothing but ``actorcore.plugin`` (issue 12, steps 4 and
5): the Unix-socket base written in the tests (tests/unixbase) imports nothing
else of actorcore, and nothing beyond the standard library; the built-in
distributions import only the declared surfaces (``actorcore.plugin``, and
``actorcore.actors`` for the messages and errors users see too), so a third
party can write anything they can."""
from __future__ import annotations

import ast
import sys
import threading
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
        "import actorcore._core.runtime.framing\n"
        "from actorcore._core import errors\n"
        "from actorcore._core.runtime.client import MultiprocSystem\n"
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
        "somebase/__init__.py:2: actorcore._core.runtime.framing",
        "somebase/__init__.py:3: actorcore._core.errors",
        "somebase/__init__.py:4: actorcore._core.runtime.client.MultiprocSystem",
    ]
    (pkg / "more.py").write_text("import attrs\nfrom pluggy import HookimplMarker\n")
    assert beyond_stdlib(pkg) == ["somebase/more.py:1: attrs", "somebase/more.py:2: pluggy.HookimplMarker"]


#: The modules of the actorcore package that are promises (docs/api.md): the
#: user surface and its Thespian-compatible companions, the base-author and
#: test surfaces, the logging formatter users name in configurations, and the
#: command line. Everything else must live under ``actorcore._core``.
PUBLIC_MODULES = {"__init__", "__main__", "actors", "troupe", "initmsgs", "transient",
                  "plugin", "testing", "logsetup", "cli", "demo"}


def test_everything_but_the_declared_surfaces_is_visibly_private():
    package = ROOT / "actorcore" / "src" / "actorcore"
    top = {p.stem for p in package.glob("*.py")}
    subpackages = {p.parent.name for p in package.glob("*/__init__.py")}
    assert top == PUBLIC_MODULES
    assert subpackages == {"_core"}


def test_pickled_takes_memoryviews_and_says_why_a_message_cannot_be_pickled():
    """The one pickling a base that moves messages itself (rayBase) shares
    with the runtime: a memoryview comes back with its format and shape."""
    import pickle

    from actorcore.plugin import UnpicklableMessage, pickled

    view = memoryview(bytearray(range(12))).cast("B", (3, 4))
    back = pickle.loads(pickled({"v": view}))["v"]
    assert (back.format, back.shape, back.tobytes(), back.readonly) == ("B", (3, 4), view.tobytes(), False)
    assert pickle.loads(pickled(("plain", 1))) == ("plain", 1)
    with pytest.raises(UnpicklableMessage, match="lock"):
        pickled(threading.Lock())
