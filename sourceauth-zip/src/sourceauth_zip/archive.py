"""Reading a source archive safely: zip checks and the module table (docs/api.md §8.1).

Knows zip files and Python module names; knows nothing of actors or imports.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

import attrs

#: Most members (files and directories) an archive may hold.
MAX_MEMBERS = 10_000
#: Most bytes all members may expand to, together (64 MiB).
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024

_CHUNK = 1 << 16


class ArchiveRefused(ValueError):
    """The archive is not a zip, or is unsafe or too big; the text says why."""


@attrs.frozen
class ModuleEntry:
    """One module of an archive: its source text and where it came from."""

    path: str  # the member name, e.g. "app/__init__.py"
    source: bytes
    is_package: bool


def _check_member_name(name: str) -> str:
    """The member name in POSIX form; ArchiveRefused for a path that escapes the archive."""
    posix = name.replace("\\", "/")  # archives written on Windows may use backslashes
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        raise ArchiveRefused(f"unsafe member path {name!r}: absolute paths are not allowed")
    if ".." in posix.split("/"):
        raise ArchiveRefused(f"unsafe member path {name!r}: '..' would leave the archive")
    return posix


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes, never reading past ``budget`` (header sizes may lie)."""
    parts: list[bytes] = []
    total = 0
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > budget:
                raise ArchiveRefused(
                    f"archive expands beyond {MAX_UNCOMPRESSED_BYTES} bytes "
                    f"(sourceauth_zip.archive.MAX_UNCOMPRESSED_BYTES)"
                )
            parts.append(chunk)
    return b"".join(parts)


def _module_name(posix: str) -> tuple[str, bool] | None:
    """("pkg.mod", is_package) for a ``.py`` member, None for members that are not modules."""
    if not posix.endswith(".py"):
        return None  # only .py is used: .pyc, data files and native code are ignored
    parts = posix[:-3].split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return None  # "my-tool.py", "setup files/x.py": not importable names
    return ".".join(parts), is_package


def read_modules(zip_bytes: bytes) -> dict[str, ModuleEntry]:
    """Every importable module of ``zip_bytes``, by dotted name.

    Directories holding modules but no ``__init__.py`` become empty
    packages. Raises ArchiveRefused (a ValueError) when the data is not a
    zip, a member path is absolute or climbs out with ``..``, the archive
    has more than MAX_MEMBERS members or expands beyond
    MAX_UNCOMPRESSED_BYTES, or holds no Python module at all.
    """
    if not isinstance(zip_bytes, (bytes, bytearray, memoryview)):
        raise ArchiveRefused(f"a source archive is bytes, not {type(zip_bytes).__name__}")
    try:
        zf = zipfile.ZipFile(io.BytesIO(bytes(zip_bytes)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ArchiveRefused(f"not a zip archive: {exc}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ArchiveRefused(
                f"archive has {len(infos)} members; at most {MAX_MEMBERS} are allowed "
                f"(sourceauth_zip.archive.MAX_MEMBERS)"
            )
        declared = sum(i.file_size for i in infos)
        if declared > MAX_UNCOMPRESSED_BYTES:
            raise ArchiveRefused(
                f"archive expands to {declared} bytes; at most {MAX_UNCOMPRESSED_BYTES} are "
                f"allowed (sourceauth_zip.archive.MAX_UNCOMPRESSED_BYTES)"
            )
        modules: dict[str, ModuleEntry] = {}
        budget = MAX_UNCOMPRESSED_BYTES
        for info in infos:
            posix = _check_member_name(info.filename)  # every member, not just modules
            found = _module_name(posix)
            if found is None or info.is_dir():
                continue
            try:
                source = _read_bounded(zf, info, budget)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
                raise ArchiveRefused(f"member {info.filename!r} cannot be read: {exc}") from None
            budget -= len(source)
            name, is_package = found
            modules[name] = ModuleEntry(posix, source, is_package)
    if not modules:
        raise ArchiveRefused("archive holds no Python modules (.py files)")
    _add_implicit_packages(modules)
    return modules


def _add_implicit_packages(modules: dict[str, ModuleEntry]) -> None:
    for name in list(modules):
        parts = name.split(".")
        for i in range(1, len(parts)):
            pkg = ".".join(parts[:i])
            current = modules.get(pkg)
            if current is None:
                path = "/".join(parts[:i]) + "/__init__.py"
                modules[pkg] = ModuleEntry(path, b"", True)
            elif not current.is_package:
                raise ArchiveRefused(
                    f"{pkg!r} is both a module ({current.path}) and a package directory"
                )


def build_archive(files: Mapping[str, str | bytes]) -> bytes:
    """A zip archive (bytes) holding ``files``: archive path -> text or bytes.

    A convenience for tests, demos and packaging scripts::

        build_archive({"app/__init__.py": "", "app/actors.py": "from actorcore..."})
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, content in files.items():
            zf.writestr(path, content.encode() if isinstance(content, str) else content)
    return buf.getvalue()
