"""The plugin manager: finds plugins through entry points and asks them.

A plugin is a module named by an entry point in the ``actorcore`` group::

    [project.entry-points.actorcore]
    mybase = "mypackage.plugin"

where ``mypackage/plugin.py`` holds hook implementations::

    from actorcore._core.hookspecs import hookimpl

    @hookimpl
    def actorcore_register_system_bases(register):
        register.add("myBase", MySystemBase, summary="what it is")

Environment:
``ACTORCORE_LOAD_PLUGINS=name1,name2`` loads only those entry points (set
but empty: none); ``ACTORCORE_TRACE_PLUGINS=1`` prints every hook call to
stderr. Tests register throwaway plugins with :func:`register_plugin`.
"""
from __future__ import annotations

import os
import sys
import threading
from typing import Any, Mapping, Sequence

import pluggy

from . import addresses, hookspecs
from .registry import BaseRegistry

if sys.version_info >= (3, 12):
    from importlib.metadata import entry_points
else:  # the stdlib's entry_points(group=) selection needs 3.10+, dist info 3.12
    from importlib_metadata import entry_points

GROUP = "actorcore"

_lock = threading.RLock()
_pm: pluggy.PluginManager | None = None
_registry: BaseRegistry | None = None
_origins: dict[str, tuple[str | None, str | None]] = {}
_load_errors: dict[str, str] = {}


def _selected_names() -> set[str] | None:
    raw = os.environ.get("ACTORCORE_LOAD_PLUGINS")
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        names = ", ".join(i.plugin_name for i in hook_impls)
        print(f"actorcore: hook {hook_name}({', '.join(kwargs)}) -> [{names}]", file=sys.stderr)

    def after(
        outcome: Any, hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> None:
        exc = outcome.exception
        result = f"raised {exc!r}" if exc is not None else f"returned {outcome.get_result()!r}"
        print(f"actorcore: hook {hook_name} {result}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def _build() -> pluggy.PluginManager:
    from . import defaults

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(defaults, name="actorcore._core.defaults")
    wanted = _selected_names()
    for ep in entry_points(group=GROUP):
        if wanted is not None and ep.name not in wanted:
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not break the others
            _load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        pm.register(plugin, name=ep.name)
        dist = getattr(ep, "dist", None)
        _origins[ep.name] = (
            getattr(dist, "name", None) if dist else None,
            getattr(dist, "version", None) if dist else None,
        )
    if os.environ.get("ACTORCORE_TRACE_PLUGINS", "").strip() not in ("", "0"):
        _trace(pm)
    return pm


def get_plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, built on first use."""
    global _pm
    if _pm is None:
        with _lock:
            if _pm is None:
                _pm = _build()
                addresses._formatter = format_address
    return _pm


def hook() -> Any:
    """The hook relay: ``hook().actorcore_...(**kwargs)``."""
    return get_plugin_manager().hook


def registry() -> BaseRegistry:
    """Every system base announced by the registered plugins."""
    global _registry
    with _lock:
        if _registry is None:
            pm = get_plugin_manager()
            reg = BaseRegistry()
            caller = pm.hook.actorcore_register_system_bases
            for impl in caller.get_hookimpls():
                name = impl.plugin_name
                reg._set_origin(name, *_origins.get(name, (None, None)))
                others = [p for p in pm.get_plugins() if p is not impl.plugin]
                pm.subset_hook_caller("actorcore_register_system_bases", others)(register=reg)
            _registry = reg
        return _registry


def load_errors() -> dict[str, str]:
    """Entry points that failed to load, with the reason."""
    get_plugin_manager()
    return dict(_load_errors)


def register_plugin(plugin: Any, name: str) -> None:
    """Register a plugin object by hand (tests, embedding applications)."""
    with _lock:
        global _registry
        get_plugin_manager().register(plugin, name=name)
        _registry = None


def unregister_plugin(name: str) -> None:
    """Undo :func:`register_plugin`."""
    with _lock:
        global _registry
        pm = get_plugin_manager()
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin, name=name)
        _registry = None


def reset() -> None:
    """Forget the plugin manager; the next use rebuilds it from the environment."""
    global _pm, _registry
    with _lock:
        _pm = None
        _registry = None
        _origins.clear()
        _load_errors.clear()
        addresses._formatter = str


def format_address(details: Any) -> str:
    text = get_plugin_manager().hook.actorcore_format_address(addressDetails=details)
    return str(details) if text is None else text


def internal_log(level: int, text: str) -> None:
    """Write one diagnostic line through the ``actorcore_internal_log`` hook."""
    try:
        get_plugin_manager().hook.actorcore_internal_log(level=level, text=text)
    except Exception:  # diagnostics must never break the runtime
        pass
