"""simpleSystemBase: every actor in the caller's thread, synchronous and deterministic."""
from __future__ import annotations

from .system import SimpleSystem

__all__ = ["SimpleSystem"]
