"""The Source Authority flow of API.md §8, independent of any transport.

A system (simple base or multiprocess admin) owns one registry and gives it
a ``send`` function; unpacking a validated archive is a plugin's job
(``actorcore_unpack_source``, provided by sourceauth-zip).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from . import plugins
from .addresses import ActorAddress
from .messages import LoadedSource, UnloadedSource, ValidatedSource, ValidateSource
from .sources import UnpackedSource, source_hash

_log = logging.getLogger("actorcore.sources")


class SourceRegistry:
    """Loaded, pending and watched sources of one system."""

    def __init__(self, send: Callable[[ActorAddress, Any], None]) -> None:
        self._send = send
        self.authority: ActorAddress | None = None
        self.loaded: dict[str, UnpackedSource] = {}
        self.zips: dict[str, bytes] = {}  # validated archives, for other processes to unpack
        self.pending: dict[str, str | None] = {}
        self.watchers: list[ActorAddress] = []

    def set_authority(self, addr: ActorAddress) -> None:
        self.authority = addr

    def load(self, data: bytes, info: str | None) -> str:
        """Start validating ``data``; returns its hash at once."""
        digest = source_hash(data)
        if digest in self.loaded or digest in self.pending:
            return digest
        if self.authority is None:
            _log.warning(
                "loadActorSource(%s) ignored: no Source Authority is registered "
                "(secure by default; register one to load code)", info
            )
            return digest
        self.pending[digest] = info
        self._send(self.authority, ValidateSource(digest, data, info))
        return digest

    def on_validated(self, msg: ValidatedSource, sender: ActorAddress) -> None:
        """The authority's verdict; from anyone else it is ignored."""
        if self.authority is None or sender != self.authority:
            _log.warning(
                "ValidatedSource for %s from %s ignored: only the registered Source "
                "Authority (%s) may validate sources", msg.sourceHash, sender, self.authority
            )
            return
        info = self.pending.pop(msg.sourceHash, msg.sourceInfo)
        if msg.sourceZip is None:
            _log.warning("source %s (%s) rejected by the Source Authority", msg.sourceHash, info)
            return
        try:
            unpacked = plugins.hook().actorcore_unpack_source(
                sourceHash=msg.sourceHash, sourceZip=msg.sourceZip, sourceInfo=info
            )
        except Exception as exc:
            _log.error("source %s (%s) refused: %s", msg.sourceHash, info, exc)
            return
        if unpacked is None:
            _log.error(
                "source %s (%s) cannot be unpacked: no source plugin is installed "
                "(install sourceauth-zip)", msg.sourceHash, info
            )
            return
        self.loaded[msg.sourceHash] = unpacked
        self.zips[msg.sourceHash] = msg.sourceZip
        for watcher in list(self.watchers):
            self._send(watcher, LoadedSource(msg.sourceHash, info))

    def unload(self, digest: str) -> None:
        """Forget a source; unknown hashes are ignored."""
        self.pending.pop(digest, None)
        unpacked = self.loaded.pop(digest, None)
        self.zips.pop(digest, None)
        if unpacked is None:
            return
        info = unpacked.sourceInfo
        try:
            unpacked.unload()
        except Exception:
            _log.warning("unloading source %s failed", digest, exc_info=True)
        for watcher in list(self.watchers):
            self._send(watcher, UnloadedSource(digest, info))

    def watch(self, addr: ActorAddress, enable: bool) -> None:
        self.watchers = [w for w in self.watchers if w != addr]
        if enable:
            self.watchers.append(addr)
            for digest, unpacked in self.loaded.items():
                self._send(addr, LoadedSource(digest, unpacked.sourceInfo))

    def forget(self, addr: ActorAddress) -> None:
        """An actor exited: it no longer watches, nor validates."""
        self.watchers = [w for w in self.watchers if w != addr]
        if self.authority is not None and self.authority == addr:
            self.authority = None

    def status(self) -> list[tuple[str, str | None]]:
        return [(h, u.sourceInfo) for h, u in self.loaded.items()]
