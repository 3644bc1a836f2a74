"""The admin's side of batches in doubt (outbound.py, Failure).

A call to a host can fail after the host queued its batch: the host was
ended before Ray sent its answer back. The host handled that batch (or made
it dead letters itself), so the sender must not report it dead too; but a
call that failed before it reached the host must be. The sender reports such
a batch here; the host's last word (``until_flushed``: the last batch it took
from each sender) settles which it was. A report that comes before that word
waits for it, never longer than ``HOLD``; a host that died without a word
(killed) took nothing as far as anyone can tell, so its batch is reported
dead, as before.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

#: (sender details, pickled message)
Item = tuple[str, bytes]
#: seconds an ended host's word is kept for reports still on their way
RETAIN = 60.0
#: seconds a report waits for its host's word before its batch counts as lost
HOLD = 10.0


class Doubts:
    """Batches whose call failed, until the host's word settles them."""

    def __init__(self, dead: Callable[[str, list[Item]], None],
                 running: Callable[[str], bool]) -> None:
        self._dead = dead  # report items to ``target`` as dead letters
        self._running = running  # whether the admin still lists a host
        self._lock = threading.Lock()
        # host -> (when it ended, token -> last batch it took; None: no word)
        self._words: dict[str, tuple[float, dict[str, int] | None]] = {}
        # host -> reports waiting for its word: (token, seq, doubtful, sure dead)
        self._held: dict[str, list[tuple[str, int, list[Item], list[Item]]]] = {}

    def report(self, target: str, token: str, seq: int, doubtful: list[Item],
               rest: list[Item]) -> None:
        """Batch ``seq`` from sender ``token`` to ``target`` may have been
        taken; ``rest`` (queued behind it, never sent) is dead either way."""
        with self._lock:
            word = self._words.get(target)
            if word is None and self._running(target):
                held = self._held.setdefault(target, [])
                held.append((token, seq, doubtful, rest))
                if len(held) == 1:
                    timer = threading.Timer(HOLD, self._give_up, (target,))
                    timer.daemon = True
                    timer.start()
                return
        self._settle(target, word[1] if word else None, token, seq, doubtful, rest)

    def ended(self, target: str, took: dict[str, int] | None) -> None:
        """``target`` has ended; ``took`` is its word (None if it died without
        one). Call before the admin stops listing it (see ``report``)."""
        now = time.monotonic()
        with self._lock:
            for old in _expired(self._words, now):
                del self._words[old]
            self._words[target] = (now, took)
            held = self._held.pop(target, [])
        for token, seq, doubtful, rest in held:
            self._settle(target, took, token, seq, doubtful, rest)

    def _give_up(self, target: str) -> None:
        with self._lock:
            held = self._held.pop(target, [])
        for token, seq, doubtful, rest in held:
            self._settle(target, None, token, seq, doubtful, rest)

    def _settle(self, target: str, took: dict[str, int] | None, token: str, seq: int,
                doubtful: list[Item], rest: list[Item]) -> None:
        taken = took is not None and took.get(token, 0) >= seq
        items = rest if taken else doubtful + rest
        if items:
            self._dead(target, items)


def _expired(words: dict[str, tuple[float, dict[str, int] | None]], now: float) -> list[str]:
    """The hosts whose word is older than ``RETAIN``: the first ones of
    ``words``, which keeps them in the order they ended."""
    out = []
    for key, (when, _took) in words.items():
        if now - when <= RETAIN:
            break
        out.append(key)
    return out
