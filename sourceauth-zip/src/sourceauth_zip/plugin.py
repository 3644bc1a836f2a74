"""The actorcore plugin for zip sources (entry point ``zip``)."""
from __future__ import annotations

from actorcore.plugin import hookimpl

from .importer import ZipSource, install


@hookimpl
def actorcore_unpack_source(
    sourceHash: str, sourceZip: bytes, sourceInfo: str | None
) -> ZipSource | None:
    """Check a validated zip and make its modules importable (ValueError: refused)."""
    return install(sourceHash, sourceZip, sourceInfo)
