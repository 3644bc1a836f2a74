"""Actors of test_programs.py (imported by the Ray workers by this name)."""
from __future__ import annotations

from typing import Any

from actorcore.actors import Actor


class Greeter(Actor):
    """Answers each greeting with how many it has had: two programs greeting
    one actor see one count."""

    def __init__(self) -> None:
        self.count = 0

    def receiveMessage(self, msg: Any, sender: Any) -> None:
        if msg == "hi":
            self.count += 1
            self.send(sender, ("hello", self.count))
