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
    "rayBase": "actorbase-ray",
}

#: What a base may declare about itself when it registers (docs/plugins.md,
#: "Features"), and what each declaration promises. The shared test suite runs
#: a test only on the bases that declare what it needs, and never asks for a
#: base by name. A feature left undeclared (``None``) counts as neither present
#: nor absent, so a base that declares nothing is skipped by the tests that
#: depend on a feature, instead of failing them.
FEATURES: dict[str, str] = {
    "multiprocess": "actors run in processes of their own (False: in the caller's process)",
    "copies_messages": (
        "every message is pickled on its way, so the receiver gets a copy and a message "
        "that cannot be pickled comes back as PoisonMessage (False: the receiver gets "
        "the very object that was sent)"
    ),
    "admin_port": (
        '"tcp" or "udp": the admin listens on the host at the port the "Admin Port" '
        "capability names, over that protocol"
    ),
    "shared": (
        "another program that names the same Admin Port attaches to the running system, "
        "whose admin outlives the program that started it until someone shuts it down"
    ),
    "conventions": (
        'systems join a convention ("Convention Address.IPv4" names the leader\'s host '
        "and Admin Port) and place actors on each other"
    ),
    "outbound_only": (
        'the "Outbound Only" capability: a member that accepts no connections is reached '
        "over the connection it opened"
    ),
    "keeps_in_flight": (
        "a message on its way to an actor that exits before taking it becomes a dead "
        "letter, never lost (a base that declares False keeps them only where the "
        '"Admin Routing" or "Outbound Only" capability sends everything through the admin)'
    ),
    "watches": 'ThespianWatch is honoured ("Thespian Watch Supported" is true)',
    "authenticated": "every network peer must prove it holds the system's secret (docs/security.md)",
    "recovers_unread": (
        "what a killed actor process had received but not handled comes back to its "
        "senders as dead letters"
    ),
    "forks": (
        "the 'fork' Process Startup Method is available: actor processes start as copies "
        "of the admin, so a script's __main__ classes defined before ActorSystem() are at hand"
    ),
    "shared_memory": (
        "a message whose out-of-band buffers (bytes, bytearray, memoryview, numpy arrays) "
        "add up to more than 256 KiB goes between the processes of one system on one host "
        "through files in /dev/shm, copied once at send; none outlives its message "
        "(docs/big-messages.md). False: every message streams"
    ),
}

#: the values the ``admin_port`` feature may take: the protocol of the Admin Port
ADMIN_PORT_KINDS = ("tcp", "udp")

Factory = Callable[[Mapping[str, Any] | None, Any, bool], "SystemBase[Any]"]
Feature = bool | str | None


@attrs.frozen
class SystemBaseInfo:
    """One registered base: its name, factory, where it came from and the
    features it declares (``FEATURES``; ``None``: not declared)."""

    name: str
    factory: Factory
    summary: str
    capabilities: Mapping[str, Any] = attrs.field(factory=dict)
    plugin: str = ""
    distribution: str | None = None
    version: str | None = None
    multiprocess: bool | None = None
    copies_messages: bool | None = None
    admin_port: str | None = None
    shared: bool | None = None
    conventions: bool | None = None
    outbound_only: bool | None = None
    keeps_in_flight: bool | None = None
    watches: bool | None = None
    authenticated: bool | None = None
    recovers_unread: bool | None = None
    forks: bool | None = None
    shared_memory: bool | None = None

    def features(self) -> dict[str, Feature]:
        """The features this base declares (those left undeclared are not listed)."""
        declared = ((name, getattr(self, name)) for name in FEATURES)
        return {name: value for name, value in declared if value is not None}


def _check_features(base: str, features: Mapping[str, Any]) -> None:
    unknown = sorted(set(features) - set(FEATURES))
    if unknown:
        raise TypeError(
            f"system base {base!r} declares unknown features {unknown}; known: {sorted(FEATURES)}"
        )
    for name, value in features.items():
        allowed = ADMIN_PORT_KINDS if name == "admin_port" else (True, False)
        # by type too: 1 == True, but a 1 is a slip, not a declaration
        if value is not None and (value not in allowed or type(value) is not type(allowed[0])):
            raise TypeError(
                f"system base {base!r}: feature {name} must be one of {allowed} or None, "
                f"not {type(value).__name__} {value!r}"
            )


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
        **features: Feature,
    ) -> None:
        """Register base ``name``; ``factory(capabilities, logDefs, transientUnique)``
        returns a running system. ``capabilities`` are the base's defaults
        (shown by ``actorcore bases -v``). ``features`` declares what the base
        has, by the names of ``FEATURES`` (e.g. ``multiprocess=True,
        admin_port="tcp"``); the shared test suite skips by them. A name not
        in ``FEATURES``, or a value of the wrong type, is a ``TypeError``."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"system base name must be a non-empty string, got {name!r}")
        if not callable(factory):
            raise TypeError(f"factory for system base {name!r} must be callable")
        if name in self._bases:
            raise ValueError(
                f"system base {name!r} registered twice (by {self._bases[name].plugin!r} "
                f"and {self._plugin!r})"
            )
        _check_features(name, features)
        self._bases[name] = SystemBaseInfo(
            name=name,
            factory=factory,
            summary=summary,
            capabilities=dict(capabilities or {}),
            plugin=self._plugin,
            distribution=self._dist[0],
            version=self._dist[1],
            **features,  # type: ignore[arg-type]  # checked just above
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
