"""Capability names, the read-only common set (docs/api.md §6.2) and checks.

Knows nothing of transports; each base adds its own keys.
"""
from __future__ import annotations

import logging
import sys
from typing import Any, Callable, Mapping, TypeVar

from .. import __version__
from .keys import SECRET_CAPABILITY

ThespianGeneration = (3, 0)

PYTHON_VERSION = "Python Version"
GENERATION = "Thespian Generation"
VERSION = "Thespian Version"
SYSTEM_NAME = "Thespian ActorSystem Name"
SYSTEM_VERSION = "Thespian ActorSystem Version"
WATCH_SUPPORTED = "Thespian Watch Supported"
ALLOW_REMOTE_SOURCES = "AllowRemoteActorSources"

#: Keys the system sets at startup; ``updateCapability`` refuses them.
# the secret is "read-only" too: it is given at start-up and never kept as a capability
READ_ONLY = frozenset(
    {PYTHON_VERSION, GENERATION, VERSION, SYSTEM_NAME, SYSTEM_VERSION, WATCH_SUPPORTED,
     SECRET_CAPABILITY}
)

_log = logging.getLogger("actorcore.capabilities")


def version_digits(version: str = __version__) -> str:
    """A digit string that never decreases between releases: 0.1.0 -> 000001000."""
    parts = [int("".join(ch for ch in p if ch.isdigit()) or 0) for p in version.split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return "".join(f"{p:03d}" for p in parts)


def common_capabilities(
    given: Mapping[str, Any] | None,
    *,
    system_name: str,
    system_version: int,
    watch_supported: bool,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The capability dict of a system being started: defaults, then the
    user's values, then the read-only set (which overrides anything given).

    ``Convention Secret`` is never kept: a system's capabilities are shown
    in status and sent to its convention leader (see ``actorcore._core.keys``).
    """
    caps: dict[str, Any] = dict(defaults or {})
    if given:
        if "logging" in given:
            import warnings

            warnings.warn(
                "the 'logging' capability is an old Thespian setting and is ignored; "
                "pass logDefs= to ActorSystem instead",
                stacklevel=4,
            )
        caps.update(given)
        caps.pop(SECRET_CAPABILITY, None)
    caps[PYTHON_VERSION] = tuple(sys.version_info)
    caps[GENERATION] = ThespianGeneration
    caps[VERSION] = version_digits()
    caps[SYSTEM_NAME] = system_name
    caps[SYSTEM_VERSION] = system_version
    caps[WATCH_SUPPORTED] = watch_supported
    return caps


def actor_accepts(actorClass: type, capabilities: Mapping[str, Any], requirements: Any) -> bool:
    """Whether ``actorClass`` may run on a system with ``capabilities``.

    Absent check means any system; an exception inside the check counts as False.
    """
    check = getattr(actorClass, "actorSystemCapabilityCheck", None)
    if check is None:
        return True
    try:
        return bool(check(capabilities, {} if requirements is None else requirements))
    except Exception:  # a broken check rejects, it does not crash the system
        _log.warning(
            "actorSystemCapabilityCheck of %s raised; treating it as False",
            getattr(actorClass, "__name__", actorClass),
            exc_info=True,
        )
        return False


A = TypeVar("A", bound=type)


class requireCapability:
    """Class decorator: the actor needs capability ``cap`` to be truthy, or
    (with ``value``) equal to ``value``. Decorators stack (logical AND) and
    combine with an explicit ``actorSystemCapabilityCheck``."""

    _unset = object()

    def __init__(self, cap: str, value: Any = _unset) -> None:
        self.cap = cap
        self.value = value

    def __call__(self, actorClass: A) -> A:
        previous: Callable[[Any, Any], bool] | None = getattr(
            actorClass, "actorSystemCapabilityCheck", None
        )
        cap, value, unset = self.cap, self.value, self._unset

        def actorSystemCapabilityCheck(capabilities: Mapping[str, Any], requirements: Any) -> bool:
            have = capabilities.get(cap)
            if value is unset:
                if not have:
                    return False
            elif have != value:
                return False
            return previous(capabilities, requirements) if previous else True

        actorClass.actorSystemCapabilityCheck = staticmethod(actorSystemCapabilityCheck)  # type: ignore[attr-defined]
        return actorClass
