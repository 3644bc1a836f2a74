"""Every hook a plugin may implement. This module is what a plugin author reads.

Plugins are modules (or objects) named by an entry point in the ``actorcore``
group; they implement the hooks below with ``@actorcore.plugin.hookimpl``.
Five families, matching what a plugin may own: system bases, transports,
address printing, logging and source authorities. The core never imports
a plugin: it only calls these hooks.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pluggy

if TYPE_CHECKING:
    from .registry import BaseRegistry
    from .sources import UnpackedSource
    from .transport import ClientTransport

PROJECT = "actorcore"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- system bases ------------------------------------------------------------
@hookspec
def actorcore_register_system_bases(register: BaseRegistry) -> None:
    """Announce the system bases this plugin provides.

    Called once, when the plugin manager is first built (and again after
    :func:`actorcore._core.plugins.reset`). Call ``register.add(name, factory,
    summary=..., capabilities=...)`` once per base. ``factory(capabilities,
    logDefs, transientUnique)`` must return an object implementing
    :class:`actorcore._core.base.SystemBase`. Returns nothing.
    """


# -- transports --------------------------------------------------------------
@hookspec(firstresult=True)
def actorcore_make_transport(
    base_name: str, capabilities: Mapping[str, Any]
) -> ClientTransport | None:
    """Build the transport of the process that creates (or attaches to) a
    system of the multiprocess base ``base_name``.

    Called by the shared runtime (``MultiprocSystem``) when an ActorSystem of
    that base starts (the admin and actor processes get their transports from
    the links this one hands out). ``capabilities`` holds the
    system's capabilities and, if given, the secret. Return a
    :class:`actorcore._core.transport.ClientTransport` (a
    :class:`~actorcore._core.transport.SharedClientTransport` for a base whose
    admin other programs attach to), or None when this plugin does not serve
    ``base_name`` (the first non-None answer wins). Raise ValueError for a
    bad capability value, ConnectionError when the transport cannot be set
    up (its message says what to change).
    """


# -- address printing ----------------------------------------------------------
@hookspec(firstresult=True)
def actorcore_format_address(addressDetails: Any) -> str | None:
    """Printable text for ``addressDetails`` (shown after ``ActorAddr-``).

    Called once per address object, the first time it is printed. Return
    None for details this plugin did not make; ``str(details)`` is the
    fallback. Keep to letters, digits and ``-~/():., '|>``: the core writes
    any other character (and ``~``) as a ``~hh`` escape.
    """


# -- logging -----------------------------------------------------------------
@hookspec(firstresult=True)
def actorcore_configure_logging(base_name: str, logDefs: Any, where: str) -> bool | None:
    """Apply ``logDefs`` in this process.

    ``where`` is ``"caller"`` (the simple base applies logging in the user's
    process) or ``"logger"`` (the logger process of a multiprocess system).
    ``logDefs`` is a ``dictConfig`` dict, None (use a default) or False
    (leave logging alone). Return True when handled; the core's default
    implementation handles every case, so a plugin that returns True
    replaces it. Raise the ``dictConfig`` error for an invalid dict.
    """


@hookspec(firstresult=True)
def actorcore_internal_log(level: int, text: str) -> bool | None:
    """Record one line of the runtime's own diagnostics (docs/api.md §7.4).

    Called from every process of a system, never through ``logging``. Return
    True when handled; the core's default appends to the ``THESPLOG_FILE``.
    Must never raise.
    """


# -- source authorities --------------------------------------------------------
@hookspec(firstresult=True)
def actorcore_unpack_source(
    sourceHash: str, sourceZip: bytes, sourceInfo: str | None
) -> UnpackedSource | None:
    """Check and unpack a validated source so actors can be created from it.

    Called by the system (the simple base, or a multiprocess admin) after its
    Source Authority accepted a source or a convention member sent one
    (``SourceRegistry.install_remote``), and again in each actor process that
    runs an actor of the source; unpacking one hash twice in a process should
    give back the source already unpacked. Return an
    :class:`actorcore._core.sources.UnpackedSource`, or None if this plugin does
    not handle the format. Raise ``ValueError`` with the reason to reject a
    corrupt or unsafe archive; the system logs it and loads nothing.
    sourceauth-zip implements it (entry point ``zip``).
    """
