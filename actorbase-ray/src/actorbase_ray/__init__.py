"""rayBase: every actor a Ray actor, running actorcore's actor rules (docs/ray.md)."""
from __future__ import annotations

from .system import RaySystem

__all__ = ["RaySystem"]
