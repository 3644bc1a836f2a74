"""Work around a Thespian 4.0.1 bug so it can run with ``logDefs=False``.

On the multiprocess bases Thespian 4.0.1 calls
``multiprocCommon.get_min_log_level(logDefs)`` in every new actor process
and that function only special-cases ``None``: with ``logDefs=False`` (the
documented "leave logging alone", which BENCH.md prescribes) it raises
``AttributeError: 'bool' object has no attribute 'get'`` and every
``createActor`` times out after 50 s.  The shim treats ``False`` like
``None`` (minimum level WARNING), which is what the documentation says
``False`` means.  Applied in the benchmark worker before the ActorSystem
starts; actor processes are forked from it, so they inherit the patch.
Nothing else in Thespian is touched.
"""

from __future__ import annotations

from typing import Any


def apply() -> None:
    try:
        from thespian.system import multiprocCommon
    except ImportError:  # not Thespian, or a layout this shim does not know
        return
    original = multiprocCommon.get_min_log_level
    if getattr(original, "_bench_shim", False):
        return

    def get_min_log_level(logDefs: Any) -> Any:
        return original(None if logDefs is False else logDefs)

    get_min_log_level._bench_shim = True  # type: ignore[attr-defined]
    multiprocCommon.get_min_log_level = get_min_log_level
