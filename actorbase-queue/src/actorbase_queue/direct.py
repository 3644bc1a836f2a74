"""Direct pipes between two processes of a queue system, set up by the admin.

Every process starts with one link to the admin, which forwards. When the
admin forwards from process S to process T it makes a named pipe in the
system's private directory and tells T (``direct-from``); T opens it for
reading and answers ``direct-ready``; only then does the admin tell S
(``direct-to``). S opens the pipe for writing on its next send to T, sends
a ``SWITCHED`` marker to T through the admin, and from then on writes to T
directly. The admin removes the pipe's name when it forwards the marker
(both ends are open by then). T reads the pipe only after the marker, so
everything S sent through the admin comes first: order per sender is kept.
The admin keeps a read end of every pipe so it can dead-letter what T never
read. If T dies, the admin reads on from that pipe (dead-lettering what
comes) and tells S (``direct-gone``), which flushes, closes the pipe and
sends through the admin again; the admin lets go of the pipe at EOF, so
nothing S writes in between is lost. If the admin's end is gone too, S's
writes fail and what was not written goes back through the admin.
"""
from __future__ import annotations

from typing import Any, Callable

from actorcore.plugin import Outbox

from .channel import Channel

#: Data of the marker envelope (never a valid pickle, which starts with 0x80).
SWITCHED = b"\x00actorcore-queue:switched"
#: Target of a control frame from the admin (never an address).
CONTROL = ""


def process_key(addr: str) -> str:
    """The process an address lives in: actors are their process; client
    endpoints ``q<token>c<n>`` all live in the client process ``q<token>c``."""
    if len(addr) > 9 and addr[9] == "c":
        return addr[:10]
    return addr


class DirectPaths:
    """One process's direct pipes, in and out."""

    def __init__(self, me: str, on_readable: Callable[[Channel], None],
                 on_gone: Callable[[Channel], None]) -> None:
        self.me = process_key(me)
        self.out: dict[str, Channel] = {}
        self.backlogged: set[Outbox] = set()  # the outboxes of ``out`` with frames waiting
        self.opening: dict[str, str] = {}  # peer -> path, until the reader has it open
        self.waiting: dict[str, Channel] = {}  # peer -> read end, until its SWITCHED marker
        self.inbound: dict[int, Channel] = {}
        self._on_readable = on_readable
        self._on_gone = on_gone

    def control(self, op: str, data: bytes) -> bytes | None:
        """Handle a control frame from the admin; returns the answer to send, if any."""
        peer, _, path = data.decode().partition("\n")
        if op == "direct-from":
            try:
                self.waiting[peer] = Channel.fifo_reader(path)
            except OSError:
                return None  # the writer is already gone: nothing will come this way
            return data
        if op == "direct-to":
            self.opening[peer] = path  # opened by the next send, which also sends the marker
        elif op == "direct-cancel":
            ch = self.waiting.pop(peer, None)
            if ch is not None:
                ch.close()
        return None

    def _try_open(self, peer: str) -> Channel | None:
        path = self.opening.get(peer)
        if path is None:
            return None
        try:
            ch = Channel.fifo_writer(path)
        except OSError:  # the admin removed it: that process is gone, keep using the admin
            del self.opening[peer]
            return None
        if ch is not None:
            del self.opening[peer]
            ch.join_backlog(self.backlogged)
            self.out[peer] = ch
        return ch

    def switched(self, sender: str) -> None:
        ch = self.waiting.pop(process_key(sender), None)
        if ch is not None:
            self.inbound[ch.rfd] = ch
            self._on_readable(ch)

    def channel_for(self, target: str) -> tuple[Channel | None, bool]:
        """(direct channel, just opened) for ``target``'s process, if there is one."""
        key = process_key(target)
        ch = self.out.get(key)
        if ch is not None:
            return ch, False
        if key in self.opening:
            ch = self._try_open(key)
            return ch, ch is not None
        return None, False

    def broken(self, target: str) -> list[Any]:
        """``target``'s process is gone: forget the pipe, return what it never took."""
        ch = self.out.pop(process_key(target), None)
        if ch is None:
            return []
        left = ch.take_pending()
        ch.close()
        return left

    def closed_inbound(self, ch: Channel) -> None:
        self.inbound.pop(ch.rfd, None)
        self._on_gone(ch)
        ch.close()

    def close(self) -> None:
        for ch in (*self.out.values(), *self.waiting.values(), *self.inbound.values()):
            ch.close()
        self.out.clear()
        self.waiting.clear()
        self.inbound.clear()
