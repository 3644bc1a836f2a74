"""The registry of system bases handed to plugins (``actorcore_register_system_bases``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

import attrs

if TYPE_CHECKING:
    from .base import SystemBase

#: The built-in base names and the distributions that provide them.
KNOWN_DISTRIBUTIONS = {
    "simpleSystemBase": "actorbase-simple",
    "multiprocQueueBase": "actorbase-queue",
    "multiprocUDPBase": "actorbase-udp",
    "multiprocTCPBase": "actorbase-tcp",
}

Factory = Callable[[Mapping[str, Any] | None, Any, bool], "SystemBase[Any]"]


@attrs.frozen
class SystemBaseInfo:
    """One registered base: its name, factory and where it came from."""

    name: str
    factory: Factory
    summary: str
    capabilities: Mapping[str, Any] = attrs.field(factory=dict)
    multiprocess: bool = False
    #: network peers must prove they hold the system's secret (docs/api.md §9.4)
    authenticated: bool = False
    #: what a killed actor process had received but not handled comes back
    #: to its senders (as dead letters): deliveries are acknowledged only once
    #: the actor takes them, or stay in a channel the admin reads
    recovers_unread: bool = False
    plugin: str = ""
    distribution: str | None = None
    version: str | None = None


class BaseRegistry:
    """What a plugin's ``actorcore_register_system_bases`` hook is given."""

    def __init__(self) -> None:
        self._bases: dict[str, SystemBaseInfo] = {}
        self._plugin = ""
        self._dist: tuple[str | None, str | None] = (None, None)

    def add(
        self,
        name: str,
        factory: Factory,
        *,
        summary: str,
        capabilities: Mapping[str, Any] | None = None,
        multiprocess: bool = False,
        authenticated: bool = False,
        recovers_unread: bool = False,
    ) -> None:
        """Register base ``name``; ``factory(capabilities, logDefs, transientUnique)``
        returns a running system. ``capabilities`` are the base's defaults
        (shown by ``actorcore bases``; a test fixture reads ``Admin Port``).
        ``authenticated``: every network peer of it must hold the secret
        (docs/security.md); the security tests run on such bases.
        ``recovers_unread``: messages a killed actor process received but had
        not handled become dead letters instead of dying with it."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"system base name must be a non-empty string, got {name!r}")
        if not callable(factory):
            raise TypeError(f"factory for system base {name!r} must be callable")
        if name in self._bases:
            raise ValueError(
                f"system base {name!r} registered twice (by {self._bases[name].plugin!r} "
                f"and {self._plugin!r})"
            )
        self._bases[name] = SystemBaseInfo(
            name=name,
            factory=factory,
            summary=summary,
            capabilities=dict(capabilities or {}),
            multiprocess=multiprocess,
            authenticated=authenticated,
            recovers_unread=recovers_unread,
            plugin=self._plugin,
            distribution=self._dist[0],
            version=self._dist[1],
        )

    def _set_origin(self, plugin: str, dist: str | None, version: str | None) -> None:
        self._plugin = plugin
        self._dist = (dist, version)

    def get(self, name: str) -> SystemBaseInfo | None:
        return self._bases.get(name)

    def names(self) -> list[str]:
        return sorted(self._bases)

    def infos(self) -> list[SystemBaseInfo]:
        return [self._bases[n] for n in self.names()]
