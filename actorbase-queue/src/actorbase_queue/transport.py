"""Queue transport: each process talks only to the admin, over a pair of one-way
multiprocessing pipes (:mod:`.channel`); the admin forwards (a star), since
pipes can only be handed to a process when it starts.

Address details are plain strings, unique per system: ``q<token>a`` the
admin, ``q<token>c<n>`` endpoints of the creating process, ``q<token>a/<n>``
actors (children append ``.<n>`` to their parent's).
"""
from __future__ import annotations

import os
import resource
from typing import Any, Sequence

from actorcore.runtime.poller import Poller

from .channel import Channel

#: In a process forked from the admin: the admin's transport, whose other
#: pipes the child must close (else every actor holds every pipe open).
_forked_admin: AdminQueueTransport | None = None


def _receive_one(
    inbound: Channel, poller: Poller, timeout: float | None, waitables: Sequence[Any],
    one: bool = False,
) -> tuple[list[Any], list[Any]]:
    read = inbound.read_one if one else inbound.read_ready
    envs = read()
    poller.set_extra(waitables)
    if envs:
        return envs, (poller.wait(0) if waitables else [])
    ready = poller.wait(timeout)
    if not ready:
        return [], []
    rfd = inbound.rfd
    others = [fd for fd in ready if fd != rfd]
    if len(others) < len(ready):
        envs = read()
    return envs, others


class ClientQueueTransport:
    """The creating process's side."""

    def __init__(self, ctx: Any) -> None:
        token = os.urandom(4).hex()
        self.admin_address = f"q{token}a"
        self.client_prefix = f"q{token}c"
        self.address = self.client_prefix
        self.method = ctx.get_start_method()
        self.to_admin = Channel()
        self.from_admin = Channel()
        self._opened = False

    def admin_link(self) -> AdminLink:
        return AdminLink(self.method, self.to_admin, self.from_admin, self.admin_address, self.client_prefix)

    def _open(self) -> None:
        # called once the admin process exists: keep only our ends
        self.to_admin.writing()
        self.from_admin.reading()
        self.poller = Poller()
        self.poller.add(self.from_admin.rfd)
        self._opened = True

    def send(self, target: Any, envelope: Any) -> None:
        if not self._opened:
            self._open()
        self.to_admin.put(envelope)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        if not self._opened:
            self._open()
        return _receive_one(self.from_admin, self.poller, timeout, waitables)

    def backlog(self) -> int:
        return self.to_admin.backlog()

    def close(self) -> None:
        self.to_admin.close()
        self.from_admin.close()


class AdminLink:
    def __init__(self, method: str, inbound: Channel, outbound: Channel, me: str, client_prefix: str) -> None:
        self.method = method
        self.inbound = inbound
        self.outbound = outbound
        self.me = me
        self.client_prefix = client_prefix

    def open(self) -> AdminQueueTransport:
        return AdminQueueTransport(
            self.method, self.inbound.reading(), self.outbound.writing(), self.me, self.client_prefix
        )


def _raise_fd_limit() -> None:
    """Two pipes per actor: let the admin use every descriptor it is allowed."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    except (ValueError, OSError):
        pass


class AdminQueueTransport:
    """The admin's side: a channel pair per actor and one for the client."""

    def __init__(self, method: str, inbound: Channel, client: Channel, me: str, client_prefix: str) -> None:
        global _forked_admin
        self.address = me
        self.client_prefix = client_prefix
        self.method = method
        self.client_in = inbound
        self.client_out = client
        self.to_child: dict[Any, Channel] = {}
        self.from_child: dict[Any, Channel] = {}
        self._by_fd: dict[int, Channel] = {inbound.rfd: inbound}
        self.poller = Poller()
        self.poller.add(inbound.rfd)
        _forked_admin = self
        _raise_fd_limit()

    def child_link(self, child: Any) -> ActorLink:
        down, up = Channel(), Channel()
        self.to_child[child] = down
        self.from_child[child] = up
        return ActorLink(child, down, up)

    def child_started(self, child: Any) -> None:
        """The process exists: the admin keeps only its own ends."""
        down, up = self.to_child.get(child), self.from_child.get(child)
        if down is not None:
            # keep the read end too: what the child never read is drained from it later
            os.set_blocking(down.rfd, False)
        if up is not None:
            up.reading()
            self._by_fd[up.rfd] = up
            self.poller.add(up.rfd)

    def final_from(self, child: Any) -> list[Any]:
        """Whatever the ended child wrote before it went."""
        up = self.from_child.pop(child, None)
        if up is None:
            return []
        self._by_fd.pop(up.rfd, None)
        self.poller.discard(up.rfd)
        envs = up.read_ready()
        up.close()
        return envs

    def forget_child(self, child: Any) -> list[Any]:
        down = self.to_child.pop(child, None)
        left = self.final_from(child)  # normally already taken
        if down is None:
            return left
        unread = down.read_ready() + down.take_pending()
        down.close()
        return left + unread

    def routes_to(self, target: Any) -> bool:
        return True

    def is_client(self, target: Any) -> bool:
        return isinstance(target, str) and target.startswith(self.client_prefix)

    def send(self, target: Any, envelope: Any) -> None:
        ch = self.to_child.get(target)
        if ch is None:
            if not self.is_client(target):
                return
            ch = self.client_out
        ch.put(envelope)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        by_fd = self._by_fd
        self.poller.set_extra(waitables)
        ready = self.poller.wait(timeout)
        envs: list[Any] = []
        others: list[Any] = []
        for item in ready:
            ch = by_fd.get(item)
            if ch is not None:
                envs.extend(ch.read_ready())
            else:
                others.append(item)
        return envs, others

    def backlog(self) -> int:
        return max((ch.backlog() for ch in self.to_child.values()), default=0)

    def close(self) -> None:
        self.client_out.flush(5.0)  # the client is waiting for the last replies
        for ch in (*self.to_child.values(), *self.from_child.values(), self.client_in, self.client_out):
            ch.close()


class ActorLink:
    def __init__(self, me: Any, down: Channel, up: Channel) -> None:
        self.me = me
        self.down = down
        self.up = up

    def open(self) -> ActorQueueTransport:
        admin = _forked_admin
        if admin is not None:  # forked from the admin: let go of everyone else's pipes
            mine = (self.down, self.up)
            for ch in (*admin.to_child.values(), *admin.from_child.values(), admin.client_in, admin.client_out):
                if ch not in mine:
                    ch.close()
        return ActorQueueTransport(self.me, self.down.reading(), self.up.writing())


class ActorQueueTransport:
    """An actor process's side: reads its own pipe, sends everything to the admin."""

    def __init__(self, me: Any, inbound: Channel, outbound: Channel) -> None:
        self.address = me
        self.inbound = inbound
        self.outbound = outbound
        self.poller = Poller()
        self.poller.add(inbound.rfd)

    def send(self, target: Any, envelope: Any) -> None:
        self.outbound.put(envelope)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        return _receive_one(self.inbound, self.poller, timeout, waitables, one=True)

    def backlog(self) -> int:
        return self.outbound.backlog()

    def close(self) -> None:
        self.outbound.close(flush=10.0)  # what the actor sent must reach the admin
        self.inbound.close()
