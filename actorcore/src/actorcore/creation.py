"""Resolving an actor class specification and constructing the instance.

Shared by every base; knows nothing of transports.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Mapping

from .actor import Actor
from .errors import InvalidActorSpecification

_init_params: dict[type, tuple[bool, bool]] = {}


def resolve_actor_class(spec: Any, modules: Mapping[str, Any] | None = None) -> type[Actor]:
    """The Actor subclass named by ``spec`` (a class, or "pkg.module.Class").

    Raises InvalidActorSpecification for a malformed or non-Actor spec and
    ImportError when the module cannot be imported.
    """
    if isinstance(spec, type):
        if issubclass(spec, Actor):
            return spec
        raise InvalidActorSpecification(spec, f"{spec.__qualname__} is not a subclass of Actor")
    if not isinstance(spec, str):
        raise InvalidActorSpecification(
            spec, f"expected an Actor subclass or a 'package.module.ClassName' string, "
            f"got {type(spec).__name__}"
        )
    modname, _, clsname = spec.rpartition(".")
    if not modname or not clsname or not all(p.isidentifier() for p in spec.split(".")):
        raise InvalidActorSpecification(
            spec, "a string actor class must be fully qualified: 'package.module.ClassName'"
        )
    module = importlib.import_module(modname)
    cls = getattr(module, clsname, None)
    if cls is None:
        raise InvalidActorSpecification(spec, f"module {modname!r} has no attribute {clsname!r}")
    if not (isinstance(cls, type) and issubclass(cls, Actor)):
        raise InvalidActorSpecification(spec, f"{spec} is not a subclass of Actor")
    return cls


def class_spec(cls: type) -> str:
    """The importable "module.QualName" of a class."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _declared(cls: type) -> tuple[bool, bool]:
    found = _init_params.get(cls)
    if found is None:
        try:
            params = inspect.signature(cls).parameters
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        found = ("capabilities" in params, "requirements" in params)
        _init_params[cls] = found
    return found


def instantiate(cls: type[Actor], capabilities: Mapping[str, Any], requirements: Any) -> Actor:
    """Construct ``cls``, passing ``capabilities``/``requirements`` only if declared."""
    wants_caps, wants_reqs = _declared(cls)
    kwargs: dict[str, Any] = {}
    if wants_caps:
        kwargs["capabilities"] = dict(capabilities)
    if wants_reqs:
        kwargs["requirements"] = requirements
    return cls(**kwargs)
