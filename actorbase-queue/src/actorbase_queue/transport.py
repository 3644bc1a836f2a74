"""Queue transport: every process has one inbound multiprocessing.Queue; the admin
holds them all and forwards (a star), since queues can only be handed to a
process when it starts.

Address details are plain strings, unique per system: ``q<token>a`` the
admin, ``q<token>c<n>`` endpoints of the creating process, ``q<token>a/<n>``
actors (children append ``.<n>`` to their parent's).
"""
from __future__ import annotations

import os
import queue as stdqueue
from multiprocessing.connection import wait
from typing import Any, Sequence


#: In a process forked from the admin: the admin's transport, whose other
#: queues the child must close (else every actor holds every pipe open).
_forked_admin: AdminQueueTransport | None = None


def _drain(q: Any, timeout: float | None, waitables: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    reader = q._reader  # the queue's receiving Connection: waitable alongside sentinels
    ready = wait([reader, *waitables], timeout) if waitables else wait([reader], timeout)
    envs: list[Any] = []
    others = [w for w in ready if w is not reader]
    if reader in ready:
        get = q.get_nowait
        while True:
            try:
                envs.append(get())
            except stdqueue.Empty:
                break
    return envs, others


def _backlog(q: Any) -> int:
    buffer = getattr(q, "_buffer", None)  # envelopes the feeder thread has not written yet
    return len(buffer) if buffer is not None else 0


class ClientQueueTransport:
    """The creating process's side: sends everything to the admin's queue."""

    def __init__(self, ctx: Any) -> None:
        token = os.urandom(4).hex()
        self.admin_address = f"q{token}a"
        self.client_prefix = f"q{token}c"
        self.address = self.client_prefix
        self.ctx = ctx
        self.inbox = ctx.Queue()
        self.admin_inbox = ctx.Queue()

    def admin_link(self) -> AdminLink:
        return AdminLink(
            self.ctx.get_start_method(), self.admin_inbox, self.inbox,
            self.admin_address, self.client_prefix,
        )

    def send(self, target: Any, envelope: Any) -> None:
        self.admin_inbox.put(envelope)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        return _drain(self.inbox, timeout, waitables)

    def backlog(self) -> int:
        return _backlog(self.admin_inbox)

    def close(self) -> None:
        for q in (self.inbox, self.admin_inbox):
            q.cancel_join_thread()  # the admin is gone: nothing will read what is left
            q.close()


class AdminLink:
    def __init__(self, method: str, inbox: Any, client: Any, me: str, client_prefix: str) -> None:
        self.method = method
        self.inbox = inbox
        self.client = client
        self.me = me
        self.client_prefix = client_prefix

    def open(self) -> AdminQueueTransport:
        import multiprocessing

        return AdminQueueTransport(
            multiprocessing.get_context(self.method), self.inbox, self.client,
            self.me, self.client_prefix,
        )


class AdminQueueTransport:
    """The admin's side: its own inbox, and a queue per actor and for the client."""

    def __init__(self, ctx: Any, inbox: Any, client: Any, me: str, client_prefix: str) -> None:
        global _forked_admin
        self.address = me
        self.client_prefix = client_prefix
        self.ctx = ctx
        self.inbox = inbox
        self.client = client
        self.routes: dict[Any, Any] = {}
        _forked_admin = self

    def child_link(self, child: Any) -> ActorLink:
        q = self.ctx.Queue()
        self.routes[child] = q
        return ActorLink(child, q, self.inbox)

    def forget_child(self, child: Any) -> list[Any]:
        q = self.routes.pop(child, None)
        if q is None:
            return []
        left: list[Any] = []
        reader = q._reader
        try:
            while reader.poll(0):
                left.append(_unframe(reader.recv_bytes()))
        except Exception:
            pass  # a half-written envelope from a killed process: nothing to save
        q.cancel_join_thread()
        q.close()
        return left

    def routes_to(self, target: Any) -> bool:
        return True

    def is_client(self, target: Any) -> bool:
        return isinstance(target, str) and target.startswith(self.client_prefix)

    def send(self, target: Any, envelope: Any) -> None:
        q = self.routes.get(target)
        if q is None:
            if not self.is_client(target):
                return
            q = self.client
        q.put(envelope)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        return _drain(self.inbox, timeout, waitables)

    def backlog(self) -> int:
        return max((_backlog(q) for q in self.routes.values()), default=0)

    def close(self) -> None:
        for q in (*self.routes.values(), self.client):
            q.close()
            q.join_thread()  # flush replies (the client is reading) before exiting


def _unframe(data: bytes) -> Any:
    from multiprocessing.reduction import ForkingPickler

    return ForkingPickler.loads(data)


class ActorLink:
    def __init__(self, me: Any, inbox: Any, admin: Any) -> None:
        self.me = me
        self.inbox = inbox
        self.admin = admin

    def open(self) -> ActorQueueTransport:
        admin = _forked_admin
        if admin is not None:  # forked from the admin: let go of everyone else's queues
            for q in (*admin.routes.values(), admin.client):
                if q is not self.inbox:
                    q.cancel_join_thread()
                    q._reader.close()
                    q._writer.close()
            admin.inbox._reader.close()
        return ActorQueueTransport(self.me, self.inbox, self.admin)


class ActorQueueTransport:
    """An actor process's side: reads its own queue, sends everything to the admin."""

    def __init__(self, me: Any, inbox: Any, admin: Any) -> None:
        self.address = me
        self.inbox = inbox
        self.admin = admin

    def send(self, target: Any, envelope: Any) -> None:
        self.admin.put(envelope)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        return _drain(self.inbox, timeout, waitables)

    def backlog(self) -> int:
        return _backlog(self.admin)

    def close(self) -> None:
        self.admin.close()
        self.admin.join_thread()  # flush what the actor sent before the process ends
        self.inbox.cancel_join_thread()
