"""Importing a loaded source's modules under a private, hash-derived prefix.

Module ``app.actors`` of source ``h`` lives in ``sys.modules`` as
``_actorcore_src_<h>.app.actors``, so two sources holding the "same" module
run side by side. Code inside a source still writes ``import app.actors``:
each source module gets its own ``__builtins__`` whose ``__import__`` (and the
``importlib`` it sees) maps the source's top-level names to the prefixed
ones. Nothing global is patched; one finder on ``sys.meta_path`` serves the
prefixed names (which is also what lets pickle find a source's classes).

Modules are imported when first used (a create names them, or other source
code imports them), as Thespian does: one broken module does not refuse
the source, only the actors that need it. Code written before Python 3 may
import a sibling by its bare name (``from chicken import Cluck`` inside
``barn/piglet.py``): inside a source, a name that is neither one of the
source's top-level names nor installed is looked up in the importing
module's own package.
"""
from __future__ import annotations

import builtins
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import re
import sys
import threading
import types
from typing import Any

from .archive import ModuleEntry, read_modules

PREFIX = "_actorcore_src_"
_HEX = re.compile(r"[0-9a-f]{1,64}")

_lock = threading.RLock()
_sources: dict[str, ZipSource] = {}  # by prefix: the sources live in this process


def prefix_for(sourceHash: str) -> str:
    """The private package name of a source (an identifier, whatever the hash holds)."""
    if _HEX.fullmatch(sourceHash):
        return PREFIX + sourceHash
    return PREFIX + hashlib.sha256(sourceHash.encode()).hexdigest()[:32]


def _head(full: str, name: str) -> str:
    """The part of ``full`` (which ends with ``name``) up to ``name``'s first part:
    what ``import name`` binds."""
    return full[: len(full) - len(name) + len(name.partition(".")[0])]


class _ImportlibView(types.ModuleType):
    """``importlib`` as a source module sees it: ``import_module`` resolves
    the source's own names first; everything else is the real module."""

    def __init__(self, source: ZipSource) -> None:
        super().__init__("importlib")
        self._source = source

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib, name)

    def import_module(self, name: str, package: str | None = None) -> types.ModuleType:
        """As :func:`importlib.import_module`, inside this source first."""
        target = self._source.private_name(name)
        if target is None:
            return importlib.import_module(name, package)
        return self._source.import_private(target, name)


class _Loader(importlib.abc.Loader):
    """Creates the modules of one source from its module table."""

    def __init__(self, source: ZipSource) -> None:
        self.source = source

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        entry = self.source.entry(module.__name__)
        # Before the code runs, so functions it defines capture these builtins too.
        module.__dict__["__builtins__"] = self.source.builtins
        if entry is None:  # the prefix package itself
            return
        code = compile(entry.source, self.source.filename(entry), "exec", dont_inherit=True)
        exec(code, module.__dict__)

    def get_source(self, fullname: str) -> str | None:
        """The module's text (tracebacks and ``inspect`` use it)."""
        entry = self.source.entry(fullname)
        return None if entry is None else entry.source.decode("utf-8", "replace")


class _Finder(importlib.abc.MetaPathFinder):
    """Finds ``_actorcore_src_<hash>[.module]`` for every source loaded in this process."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith(PREFIX):
            return None
        source = _sources.get(fullname.partition(".")[0])
        if source is None:
            return None
        return source.spec(fullname)


_FINDER = _Finder()


class ZipSource:
    """A validated source archive, importable in this process (an UnpackedSource)."""

    def __init__(
        self, sourceHash: str, modules: dict[str, ModuleEntry], sourceInfo: str | None
    ) -> None:
        self.sourceHash = sourceHash
        self.sourceInfo = sourceInfo
        self.prefix = prefix_for(sourceHash)
        self.modules = modules
        self.tops = frozenset(name.partition(".")[0] for name in modules)
        self.loader = _Loader(self)
        self.importlib_view = _ImportlibView(self)
        self.builtins = dict(builtins.__dict__)
        self.builtins["__import__"] = self._import

    # -- names -----------------------------------------------------------------
    def private_name(self, name: str) -> str | None:
        """``prefix.name`` if ``name`` (absolute) belongs to this source, else None."""
        if name.startswith(self.prefix + ".") or name == self.prefix:
            return name
        if name.startswith(".") or name.partition(".")[0] not in self.tops:
            return None
        return f"{self.prefix}.{name}"

    def entry(self, fullname: str) -> ModuleEntry | None:
        return self.modules.get(fullname[len(self.prefix) + 1 :])

    def filename(self, entry: ModuleEntry) -> str:
        return f"<source {self.sourceInfo or self.sourceHash}>/{entry.path}"

    def spec(self, fullname: str) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.prefix:
            spec = importlib.machinery.ModuleSpec(fullname, self.loader, is_package=True)
            spec.submodule_search_locations = []
            return spec
        entry = self.entry(fullname)
        if entry is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, self.loader, origin=self.filename(entry), is_package=entry.is_package
        )

    # -- importing -------------------------------------------------------------
    def import_private(self, target: str, asked: str) -> types.ModuleType:
        """Import ``target`` (a prefixed name); a missing module names the source."""
        try:
            return importlib.import_module(target)
        except ModuleNotFoundError as exc:
            raise self._missing(exc, asked) from None

    def _missing(self, exc: ModuleNotFoundError, asked: str) -> ModuleNotFoundError:
        missing = exc.name or asked
        if missing.startswith(self.prefix + "."):
            missing = missing[len(self.prefix) + 1 :]
        return ModuleNotFoundError(
            f"No module named {missing!r} in actor source {self.sourceHash} "
            f"({self.sourceInfo or 'no name'})",
            name=missing,
        )

    def _import(
        self,
        name: str,
        globals: Any = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> Any:
        """``__import__`` for code inside this source."""
        target = self.private_name(name) if level == 0 else None
        if target is None:
            try:
                module = builtins.__import__(name, globals, locals, fromlist, level)
            except ModuleNotFoundError as exc:
                target = self._sibling(name, globals, exc) if level == 0 else None
                if target is None:
                    raise
            else:
                if level == 0 and (name == "importlib" or (name.startswith("importlib.") and not fromlist)):
                    return self.importlib_view
                return module
        try:
            module = builtins.__import__(target, globals, locals, fromlist, 0)
        except ModuleNotFoundError as exc:
            raise self._missing(exc, name) from None
        if fromlist:
            return module
        # "import a.b.c" binds the top-level package "a": the source's, not the prefix.
        if name.startswith(self.prefix):
            return module
        return sys.modules[_head(target, name)]

    def _sibling(self, name: str, globals: Any, missing: ModuleNotFoundError) -> str | None:
        """The private name of ``name`` read as an implicit relative import (as
        Python 2 did) from the module whose globals these are, or None.

        Only a fallback: ``name``'s first part is neither in the source nor
        installed, the importing module is in this source and its package
        holds a module of that name. Python 3 code therefore imports exactly
        as it would from disk.
        """
        first = name.partition(".")[0]
        package = (globals or {}).get("__package__") or ""
        if missing.name != first or not package.startswith(self.prefix + "."):
            return None
        candidate = f"{package[len(self.prefix) + 1 :]}.{name}"
        return f"{self.prefix}.{candidate}" if _head(candidate, name) in self.modules else None

    # -- UnpackedSource ------------------------------------------------------------
    def load_class(self, spec: str) -> Any:
        """The object named "package.module.Class" in this source.

        A name whose top-level package is not in the source is imported
        normally (so a source's actor may create installed actors).
        """
        modname, _, attr = spec.rpartition(".")
        if not modname or not attr:
            raise ImportError(f"{spec!r} is not a 'package.module.ClassName' name")
        target = self.private_name(modname)
        if target is None:
            module = importlib.import_module(modname)
        else:
            module = self._import_for_class(target, modname)
        try:
            return getattr(module, attr)
        except AttributeError:
            raise ImportError(
                f"module {modname!r} of actor source {self.sourceHash} has no attribute {attr!r}"
            ) from None

    def _import_for_class(self, target: str, modname: str) -> types.ModuleType:
        """Import a module a create names; an error in its code (a SyntaxError, an
        exception, even ``sys.exit()``, which must not end the admin) becomes an
        ImportError carrying the original text."""
        try:
            return self.import_private(target, modname)
        except ImportError:
            raise
        except (Exception, SystemExit) as exc:
            raise ImportError(
                f"module {modname!r} of actor source {self.sourceHash} "
                f"({self.sourceInfo or 'no name'}) failed to import: {type(exc).__name__}: {exc}",
                name=modname,
            ) from exc

    def unload(self) -> None:
        """Forget the source's modules in this process (objects already made live on)."""
        with _lock:
            if _sources.get(self.prefix) is self:
                del _sources[self.prefix]
            for name in [n for n in sys.modules if n == self.prefix or n.startswith(self.prefix + ".")]:
                del sys.modules[name]

    def describe(self) -> dict[str, Any]:
        """What the source holds, for status displays."""
        return {
            "sourceHash": self.sourceHash,
            "sourceInfo": self.sourceInfo,
            "prefix": self.prefix,
            "modules": sorted(self.modules),
        }


def install(sourceHash: str, zip_bytes: bytes, sourceInfo: str | None) -> ZipSource:
    """Check ``zip_bytes`` and make its modules importable (they import when
    first used); the same hash twice gives the source already installed in
    this process.

    Raises ValueError (ArchiveRefused, with the reason) for an archive that
    is refused; nothing is loaded then.
    """
    with _lock:
        prefix = prefix_for(sourceHash)
        existing = _sources.get(prefix)
        if existing is not None:
            return existing
        source = ZipSource(sourceHash, read_modules(zip_bytes), sourceInfo)
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
        _sources[prefix] = source
        return source


def loaded_sources() -> dict[str, ZipSource]:
    """The sources installed in this process, by hash."""
    with _lock:
        return {s.sourceHash: s for s in _sources.values()}
