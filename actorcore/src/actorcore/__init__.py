"""actorcore: Thespian-compatible actors on a plugin architecture.

The public surface is :mod:`actorcore.actors`; everything else may change.
"""
from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger("actorcore").addHandler(logging.NullHandler())
