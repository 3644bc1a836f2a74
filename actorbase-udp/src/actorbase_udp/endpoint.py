"""The UDP transport of an actor process or an attached program: one socket,
one stream to the admin, and direct streams to the processes the admin
introduced. A process switches to a direct stream after a :class:`Switched`
marker sent through the admin, and its peer takes the direct datagrams only
after that marker, so order per sender is kept across the switch. Knows
envelopes and addresses, never actors.
"""
from __future__ import annotations

import os
import pickle
import threading
import time
from typing import Any, Sequence

from actorcore.plugin import (
    CONTROL,
    ActorLink,
    HelloRole,
    RuntimeMessage,
    Welcome,
    avoiding,
    hello,
    pid_alive,
    read_welcome,
)

from .addressing import process_key
from .channel import Channel
from .transportbase import UdpTransportBase
from .wire import WINDOW_BYTES, Address, Envelope, bind, fmt, resolve


class Switched(RuntimeMessage):
    """Sent through the admin just before a process first sends to another
    directly: what it sent through the admin comes first, and ``where`` is the
    socket its direct datagrams come from. A runtime message, so an admin that
    cannot deliver it drops it quietly."""

    def __init__(self, where: str) -> None:
        self.where = where


def _switched(where: str) -> bytes:
    return pickle.dumps(Switched(where), 2)  # protocol 2: a fixed prefix to recognise


_SAMPLE = _switched("x")
SWITCHED_PREFIX = _SAMPLE[: _SAMPLE.index(b"Switched\n") + len(b"Switched\n")]


class EndpointUdpTransport(UdpTransportBase):
    """An actor's or an attached program's side: one socket, one stream to the admin."""

    #: Whether the helper thread may acknowledge what arrived. Never in an
    #: actor process: an ack says the process holds the message, and what an
    #: actor busy in receiveMessage holds but has not handled is lost if it is
    #: killed; unacknowledged, the senders still have it and make it a dead
    #: letter. Only the owner's receive() acknowledges there, between batches.
    service_acks = False

    def __init__(self, me: str, host: str, admin: Address, limit: int, key: bytes) -> None:
        # Direct traffic often arrives before the sender's marker (which takes
        # the admin's way): room for a window's worth of it, so it need not be
        # sent twice.
        super().__init__(avoiding(lambda: bind(host, 0), admin[1]), me, limit, key,
                         stranger_bytes=WINDOW_BYTES)
        self.admin = admin
        self.gone = False
        self.welcome: Welcome | None = None
        self.admin_pid = 0  # when known: no point waiting for acks from a dead admin
        self.ep.channel(admin).key = "admin"
        self.direct: dict[str, Address] = {}  # process key -> its socket, as the admin told
        self.switched: set[str] = set()  # ... and the marker has gone out
        self.held: dict[Address, list[Envelope]] = {}  # direct, before the sender's marker
        self.marker = _switched(fmt(self.ep.local))
        self.next_sweep = 0.0
        # Datagrams move on only while someone reads acks and repeats what
        # was lost. A program that tells and then stops reading (or an actor
        # long inside receiveMessage) would leave the rest of a full window
        # unsent for ever: a helper thread does that work, but only while
        # nobody is inside receive() (which holds ``_rx``).
        self._rx = threading.Lock()
        self._last_rx = time.monotonic()
        self._service: threading.Thread | None = None
        self._stop = False
        self.ep.rescue = self._rescue

    def _rescue(self, where: Address, envs: list[Envelope]) -> bool:
        """A direct peer never took these (its handshake failed, or it went
        silent): they go through the admin, which delivers or dead-letters them."""
        if where == self.admin:
            return False
        with self.ep.lock:
            for key, addr in list(self.direct.items()):
                if addr == where:
                    del self.direct[key]
                    self.switched.discard(key)
            for env in envs:
                self.ep.send(self.admin, env)
        return True

    @property
    def admin_lost(self) -> bool:
        if not self.gone:
            chan = self.ep.channels.get(self.admin)
            # a stream to the admin that was given up on: the admin is gone
            self.gone = chan is not None and self.ep.stats["lost_messages"] > 0 and not chan.busy() \
                and time.monotonic() - chan.heard > self.ep.give_up
        return self.gone

    def send(self, target: Any, envelope: Any) -> None:
        key = process_key(target)
        with self.ep.lock:
            where = self.direct.get(key)
            if where is None:
                self.ep.send(self.admin, envelope)
            else:
                if key not in self.switched:
                    self.switched.add(key)
                    self.ep.send(self.admin, (target, envelope[1], self.marker))
                self.ep.send(where, envelope)
        if self._service is None:
            self._start_service()

    def _start_service(self) -> None:
        with self.ep.lock:
            if self._service is not None or self._stop:
                return
            self._service = threading.Thread(target=self._serve, name="actorcore-udp", daemon=True)
            self._service.start()

    def _serve(self) -> None:
        idle = 0
        while not self._stop and idle < 50:
            time.sleep(0.02)
            owed = self.service_acks and self.ep.owed
            if not self.ep.sending and not owed and not self.ep.backlog():
                idle += 1
                continue
            idle = 0
            if time.monotonic() - self._last_rx < 0.02 or not self._rx.acquire(blocking=False):
                continue  # the owner is reading: it does this itself
            try:
                if self.ep.closed:
                    break
                self.ep.read(self._deliver)
                if self.service_acks and not self.ready:  # all it read is the owner's now
                    self.ep.flush_acks()
                self.ep.retransmit(time.monotonic())
            finally:
                self._rx.release()
        with self.ep.lock:
            self._service = None

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        with self._rx:
            try:
                return super().receive(timeout, waitables)
            finally:
                self._last_rx = time.monotonic()

    def _deliver(self, chan: Channel, env: Envelope) -> None:
        if chan.where != self.admin:  # straight from another process
            if chan.key is None:  # its marker has not come through the admin yet
                self.held.setdefault(chan.where, []).append(env)
                chan.held += 1
            elif (chan.key, env[1]) == chan.sender or self._own(chan, env):
                self.ready.append((chan.key, env))
            return
        if env[0] == CONTROL:
            self._control(env[1], env[2].decode("utf-8", "replace"))
        elif env[2].startswith(SWITCHED_PREFIX):
            self._marker(env)
        else:
            self.ready.append((None, env))

    def _marker(self, env: Envelope) -> None:
        try:
            where = resolve(pickle.loads(env[2]).where)
        except Exception as exc:
            self.ep.complain("marker", f"{self.address} ignored a bad switch marker: {exc}")
            return
        chan = self.ep.channel(where)
        chan.key = process_key(env[1])
        chan.held = 0
        for held in self.held.pop(where, []):
            if self._own(chan, held):
                self.ready.append((chan.key, held))

    def _control(self, op: str, data: str) -> None:
        if op == "welcome":
            self.welcome = read_welcome(data)
        elif op == "bye":
            self.gone = True
        elif op == "direct-to":
            key, _, where = data.partition("\n")
            with self.ep.lock:
                if key not in self.direct:
                    self.direct[key] = resolve(where)
        elif op == "gone":
            with self.ep.lock:
                where_t = self.direct.pop(data, None)
                self.switched.discard(data)
                if where_t is not None:  # what it never took goes the admin's way: dead letters
                    for env in self.ep.forget(where_t):
                        self.ep.send(self.admin, env)
                    self.held.pop(where_t, None)

    def _timers(self, now: float) -> float | None:
        if now >= self.next_sweep:
            self.next_sweep = now + 5.0
            self.ep.expire_strangers(now, 30.0)
            for where in [w for w in self.held if w not in self.ep.channels]:
                del self.held[where]
        return self.next_sweep - now

    def close(self) -> None:
        pid = self.admin_pid
        admin = self.ep.channels.get(self.admin)
        grace = time.monotonic() + 2.0

        def done() -> bool:
            if pid and not pid_alive(pid):
                return True  # nobody left to acknowledge
            if admin is not None and admin.busy():
                return False  # what the admin must hear (exit, dead letters, logs)
            # Direct peers answer within milliseconds when alive; a dead one
            # would keep this process waiting for nothing.
            return not self.ep.busy() or time.monotonic() > grace

        self._stop = True
        with self._rx:  # the helper thread is not inside the socket now, and will not be
            self.ep.settle(10.0, self._deliver, done)  # "gone" still re-routes while we wait
            self.ep.close()


def join(link: ActorLink[EndpointUdpTransport]) -> EndpointUdpTransport:
    """An actor process's transport, with its hello on the way to its admin."""
    admin = resolve(link.admin)
    t = EndpointUdpTransport(link.me, admin[0], admin, link.limit, link.key)
    t.admin_pid = os.getppid()  # the admin starts every actor process
    t.ep.send(t.admin, hello(HelloRole.ACTOR, link.token, link.me))
    return t
