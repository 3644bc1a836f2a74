"""The Source Authority flow of docs/api.md §8, independent of any transport.

A system (simple base or multiprocess admin) owns one registry and gives it
a ``send`` function and its capabilities dict; unpacking a validated archive
is a plugin's job (``actorcore_unpack_source``, provided by sourceauth-zip).

Two entry points serve conventions (docs/api.md §8.5, §8.6): :meth:`SourceRegistry.zip_for`
on the system that holds a source, :meth:`SourceRegistry.install_remote` on
the member that receives it.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Mapping

from . import plugins
from .addresses import ActorAddress
from .capabilities import ALLOW_REMOTE_SOURCES
from .messages import LoadedSource, UnloadedSource, ValidatedSource, ValidateSource
from .sources import UnpackedSource, source_hash

_log = logging.getLogger("actorcore.sources")

#: How long creates naming a source still being validated wait for the verdict
#: (docs/api.md §8.3 step 5: "up to 2 minutes").
VALIDATION_WAIT = 120.0


def remote_sources_policy(capabilities: Mapping[str, Any]) -> str:
    """``"yes"``, ``"leaderonly"`` or ``"no"`` from ``AllowRemoteActorSources``
    (case-insensitive; missing: yes; anything unrecognised: no)."""
    raw = capabilities.get(ALLOW_REMOTE_SOURCES, "Yes")
    value = raw.strip().lower() if isinstance(raw, str) else ""
    return value if value in ("yes", "leaderonly") else "no"


class SourceRegistry:
    """Loaded, pending and watched sources of one system."""

    def __init__(
        self,
        send: Callable[[ActorAddress, Any], None],
        capabilities: Mapping[str, Any] | None = None,
    ) -> None:
        self._send = send
        self._capabilities: Mapping[str, Any] = {} if capabilities is None else capabilities
        self.authority: ActorAddress | None = None
        self.loaded: dict[str, UnpackedSource] = {}
        self.zips: dict[str, bytes] = {}  # validated archives, for other processes to unpack
        self.pending: dict[str, str | None] = {}
        self._deadlines: dict[str, float] = {}  # pending hash -> when waiting creates give up
        self._settle: dict[str, list[Callable[[], None]]] = {}
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
        self._deadlines[digest] = time.monotonic() + VALIDATION_WAIT
        self._send(self.authority, ValidateSource(digest, data, info))
        return digest

    # -- waiting for a verdict ---------------------------------------------------
    def is_pending(self, digest: str | None) -> bool:
        """True while ``digest`` awaits the Source Authority's verdict."""
        return digest is not None and digest in self.pending

    def when_settled(self, digest: str, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once ``digest`` is accepted, rejected, unloaded or
        its wait (VALIDATION_WAIT) expires; at once if it is not pending."""
        if digest not in self.pending:
            callback()
            return
        self._settle.setdefault(digest, []).append(callback)

    def deadline(self, digest: str) -> float | None:
        """When the wait for ``digest``'s verdict ends (monotonic), None if not pending."""
        return self._deadlines.get(digest) if digest in self.pending else None

    def expire(self, now: float | None = None) -> None:
        """Give up on verdicts overdue by VALIDATION_WAIT (passive rejection)."""
        now = time.monotonic() if now is None else now
        for digest, due in list(self._deadlines.items()):
            if due <= now:
                info = self.pending.pop(digest, None)
                _log.warning(
                    "source %s (%s): no verdict from the Source Authority within %.0f s; "
                    "creates that named it fail", digest, info, VALIDATION_WAIT,
                )
                self._settled(digest)

    def _settled(self, digest: str) -> None:
        self.pending.pop(digest, None)
        self._deadlines.pop(digest, None)
        for callback in self._settle.pop(digest, []):
            try:
                callback()
            except Exception:
                _log.exception("a create waiting for source %s failed", digest)

    # -- verdicts and installing ---------------------------------------------------
    def on_validated(self, msg: ValidatedSource, sender: ActorAddress) -> None:
        """The authority's verdict; from anyone else it is ignored."""
        if self.authority is None or sender != self.authority:
            _log.warning(
                "ValidatedSource for %s from %s ignored: only the registered Source "
                "Authority (%s) may validate sources", msg.sourceHash, sender, self.authority
            )
            return
        if msg.sourceHash not in self.pending:
            # Unloaded or expired while the authority thought, or never loaded:
            # a late "yes" must not bring code back that nobody is waiting for.
            _log.warning(
                "ValidatedSource for %s ignored: no load of it awaits a verdict "
                "(unloaded, expired, or never loaded); load it again", msg.sourceHash
            )
            return
        info = self.pending[msg.sourceHash]
        if msg.sourceZip is None:
            _log.warning("source %s (%s) rejected by the Source Authority", msg.sourceHash, info)
        else:
            self._install(msg.sourceHash, msg.sourceZip, info)
        self._settled(msg.sourceHash)

    def _install(self, digest: str, zip_bytes: bytes, info: str | None) -> bool:
        """Unpack through the plugin, make available and notify; False (logged) if refused."""
        if digest in self.loaded:
            return True
        try:
            unpacked = plugins.hook().actorcore_unpack_source(
                sourceHash=digest, sourceZip=zip_bytes, sourceInfo=info
            )
        except Exception as exc:
            _log.error("source %s (%s) refused: %s", digest, info, exc)
            return False
        if unpacked is None:
            _log.error(
                "source %s (%s) cannot be unpacked: no source plugin is installed "
                "(install sourceauth-zip)", digest, info
            )
            return False
        self.loaded[digest] = unpacked
        self.zips[digest] = zip_bytes
        for watcher in list(self.watchers):
            self._send(watcher, LoadedSource(digest, info))
        return True

    # -- conventions (docs/api.md §8.5, §8.6) -------------------------------------------
    def zip_for(self, digest: str) -> tuple[bytes, str | None] | None:
        """The validated archive and display info of a loaded source, to send to
        another convention member; None if ``digest`` is not loaded here."""
        unpacked = self.loaded.get(digest)
        zip_bytes = self.zips.get(digest)
        if unpacked is None or zip_bytes is None:
            return None
        return zip_bytes, unpacked.sourceInfo

    def install_remote(
        self, digest: str, zip_bytes: bytes, info: str | None, origin_is_leader: bool
    ) -> bool:
        """Install a source another convention member already validated.

        The local Source Authority is not asked again. Honours this system's
        ``AllowRemoteActorSources``: ``Yes`` accepts from any member,
        ``LeaderOnly`` only when ``origin_is_leader``, anything else refuses.
        Returns True when the source is (or already was) available;
        ``LoadedSource`` goes to local watchers and creates waiting for it
        proceed. False (logged) when refused by policy or by the plugin.
        """
        if digest in self.loaded:
            return True
        policy = remote_sources_policy(self._capabilities)
        if policy == "no" or (policy == "leaderonly" and not origin_is_leader):
            _log.warning(
                "source %s (%s) from another convention member refused: "
                "AllowRemoteActorSources is %r", digest, info,
                self._capabilities.get(ALLOW_REMOTE_SOURCES, "Yes"),
            )
            return False
        ok = self._install(digest, zip_bytes, info)
        if ok:
            self._settled(digest)
        return ok

    # -- unloading and watchers ------------------------------------------------------
    def unload(self, digest: str) -> None:
        """Forget a source; unknown hashes are ignored."""
        was_pending = digest in self.pending
        unpacked = self.loaded.pop(digest, None)
        self.zips.pop(digest, None)
        if was_pending:
            self._settled(digest)
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
