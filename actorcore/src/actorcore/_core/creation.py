"""Resolving an actor class specification and constructing the instance.

Shared by every base; knows nothing of transports.
"""
from __future__ import annotations

import importlib
import inspect
import sys
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
    check_class_name(spec)
    modname, _, clsname = spec.rpartition(".")
    module = importlib.import_module(modname)
    cls = getattr(module, clsname, None)
    if cls is None:
        raise InvalidActorSpecification(spec, f"module {modname!r} has no attribute {clsname!r}")
    if not (isinstance(cls, type) and issubclass(cls, Actor)):
        raise InvalidActorSpecification(spec, f"{spec} is not a subclass of Actor")
    return cls


def check_class_name(spec: str) -> None:
    """InvalidActorSpecification unless ``spec`` reads "package.module.ClassName"
    (with or without a ``sourceHash``: a bare class name is never enough)."""
    if "." not in spec or not all(p.isidentifier() for p in spec.split(".")):
        raise InvalidActorSpecification(
            spec, "a string actor class must be fully qualified: 'package.module.ClassName'"
        )


def class_spec(cls: type) -> str:
    """The importable "module.QualName" of a class.

    A class made inside a function (``<locals>`` in its qualified name) that
    its module binds at the top level under its own name (``Echo =
    make_actors().Echo``) is named by that binding.
    """
    qualname = cls.__qualname__
    if "<locals>" in qualname:
        module = sys.modules.get(cls.__module__)
        if module is not None and getattr(module, cls.__name__, None) is cls:
            return f"{cls.__module__}.{cls.__name__}"
    return f"{cls.__module__}.{qualname}"


def importable_spec(cls: type) -> str:
    """:func:`class_spec` of a class another process can import by it;
    InvalidActorSpecification saying why not otherwise."""
    spec = class_spec(cls)
    if "<locals>" in spec:
        raise InvalidActorSpecification(
            cls, f"{cls.__qualname__} is defined inside a function and {cls.__module__} does not "
            f"bind it at its top level as {cls.__name__!r}, so another process cannot import it; "
            f"bind it there ({cls.__name__} = ...) or define it at module level"
        )
    return spec


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
