"""Loaded actor sources: what a source-authority plugin hands back (docs/api.md §8)."""
from __future__ import annotations

import hashlib
from typing import IO, Any, Protocol


def source_hash(data: bytes) -> str:
    """The source hash: lowercase hex MD5 of the raw bytes (as Thespian)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def read_source(fname: str | IO[bytes]) -> tuple[bytes, str]:
    """The raw bytes and a display name of a path or binary file-like object."""
    if isinstance(fname, (str, bytes)) or hasattr(fname, "__fspath__"):
        with open(fname, "rb") as fh:
            return fh.read(), str(fname)
    read = getattr(fname, "read", None)
    if read is None:
        raise TypeError(
            f"loadActorSource takes a path or a binary file-like object, not {type(fname).__name__}"
        )
    data = read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("loadActorSource needs a file opened in binary mode")
    return bytes(data), str(getattr(fname, "name", "<stream>"))


class UnpackedSource(Protocol):
    """A validated source ready to provide actor classes."""

    sourceHash: str
    sourceInfo: str | None

    def load_class(self, spec: str) -> type:
        """The class named "package.module.Class" inside this source."""

    def unload(self) -> None:
        """Drop the source's modules from this process."""

    def describe(self) -> Any:
        """What the source holds, for status displays (informational)."""
