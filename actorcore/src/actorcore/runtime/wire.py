"""Pickling messages once at the sender, so failures are seen where they happen."""
from __future__ import annotations

import pickle
from typing import Any

PROTOCOL = pickle.HIGHEST_PROTOCOL


class UnpicklableMessage(Exception):
    """The message (or something it references) cannot be pickled."""


def dumps(msg: Any) -> bytes:
    try:
        return pickle.dumps(msg, PROTOCOL)
    except Exception as exc:
        raise UnpicklableMessage(f"{type(exc).__name__}: {exc}") from exc


loads = pickle.loads
