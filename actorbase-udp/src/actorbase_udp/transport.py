"""UDP transport: every process has one datagram socket; the admin's is the
Admin Port. Actor processes and attached programs send everything to the
admin, which forwards (a star), so per-sender order and dead-letter detection
are the admin's, exactly as on the other bases; the reliable streams of
:mod:`.channel` make sure nothing is lost on the way.

Every pair of sockets first runs the handshake of ``actorcore.handshake``
with the system's secret, and then MACs every datagram (see :mod:`.channel`):
nothing from a socket that has not proven it holds the secret is
acknowledged, reassembled, handed on or unpickled. Then each stream opens
with a hello envelope (target ``""``): ``actor`` (an actor process of this
system, with the token only the admin's children know), ``client`` (a program
attaching, answered with ``welcome``: its address prefix, the admin's id and
pid) or ``peer`` (another admin, conventions: answered with
``peer-welcome``). A stream whose first message is not a hello is dropped
and logged; an envelope whose sender is not the process at the other end is
dropped and logged (rate-limited); the admin keeps serving.
"""
from __future__ import annotations

import errno
import os
import pickle
import select
import socket
import threading
import time
from collections import deque
from functools import partial
from typing import Any, Sequence

from actorcore.runtime import procs, protocol
from actorcore.runtime.netbase import AdminLink, avoiding
from actorcore.runtime.poller import Poller
from actorcore.transport import AttachState, PeerEvent, system_of

from .addressing import process_key
from .channel import (
    HDR,
    MAGIC,
    PROBE,
    PROBE_REPLY,
    WINDOW_BYTES,
    Address,
    Channel,
    Endpoint,
    Envelope,
    bind,
    fmt,
    resolve,
)

CONTROL = ""
_GONE_SILENT = 1.0  # seconds: a peer that acknowledges nothing for this long while we close is gone


class Switched(protocol.RuntimeMessage):
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


def _env_seconds(name: str, default: float) -> float:
    try:
        return max(0.05, float(os.environ.get(name, default)))
    except ValueError:
        return default


def _hello(role: str, token: str, key: str, listen: str) -> Envelope:
    return (CONTROL, "hello", f"{role}\n{token}\n{key}\n{listen}".encode())


def reachable(host: str) -> str:
    """Where to send to reach a socket bound to ``host`` on this machine: a
    socket bound to every interface answers from a real one (loopback), and
    replies are matched by the address they come from."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


class _UdpTransport:
    """What the admin's and the endpoints' transports share: the socket, its
    channels, and a receive loop that also acknowledges and retransmits."""

    def __init__(self, sock: socket.socket, me: str, limit: int, key: bytes,
                 stranger_bytes: int = 64 * 1024, hs_limit: float = 10.0) -> None:
        self.ep = Endpoint(sock, key, limit, stranger_bytes, hs_limit)
        self.address = me
        self.limit = limit
        self.poller = Poller()
        self.poller.add(self.ep.fd)
        self.ready: deque[tuple[str | None, Envelope]] = deque()

    @property
    def stats(self) -> dict[str, int]:
        """Counters of what the socket dropped, repeated or gave up on."""
        return dict(self.ep.stats)

    def _deliver(self, chan: Channel, env: Envelope) -> None:
        raise NotImplementedError

    def wake_on(self, fd: int) -> None:
        """End any wait when ``fd`` is readable (it is then among the ready
        waitables); unlike a waitable, it costs nothing while envelopes flow."""
        self.poller.add(fd)

    def _probe(self, where: Address) -> None:
        """Someone asks whether an actorcore UDP socket listens here."""

    def _timers(self, now: float) -> float | None:
        """Housekeeping of the subclass; seconds until it is next due."""
        return None

    def _own(self, chan: Channel, env: Envelope) -> bool:
        """Whether ``env``, come straight from ``chan``'s socket, is from the
        process known to send from there; logged and dropped if not. (The
        name that passed is kept: an actor sends under one name, and this
        runs for every message.)"""
        if process_key(env[1]) == chan.key:
            chan.sender = (chan.key, env[1])
            return True
        self.ep.stats["dropped_sender"] += 1
        self.ep.complain("sender", f"{self.address} dropped a message from {chan.key} "
                         f"({fmt(chan.where)}) that claims to come from {env[1]!r}")
        return False

    def _take_ready(self) -> list[Envelope]:
        ready = self.ready
        out = []
        while ready:
            out.append(ready.popleft()[1])
        return out

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        poller = self.poller
        poller.set_extra(waitables)
        ep = self.ep
        fd = ep.fd
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.ready:
                others = [f for f in poller.wait(0) if f != fd] if waitables else []
                return self._take_ready(), others
            ep.flush_acks()
            now = time.monotonic()
            wait = deadline - now if deadline is not None else None
            for due in (ep.retransmit(now), self._timers(now)):
                if due is not None and (wait is None or due < wait):
                    wait = due
            others = []
            for f in poller.wait(None if wait is None else max(0.0, wait)):
                if f == fd:
                    ep.read(self._deliver, self._probe)
                else:
                    others.append(f)
            if self.ready or others:
                return self._take_ready(), others
            if deadline is not None and time.monotonic() >= deadline:
                return [], []

    def backlog(self) -> int:
        # Asked before every send: with nothing queued behind a full window
        # (the usual case) that is all, without a read that finds nothing.
        if not self.ep.backlog():
            return 0
        # A sender blocked on back-pressure sleeps without calling receive():
        # read acknowledgements here, or the backlog would never shrink.
        self.ep.read(self._deliver, self._probe)
        self.ep.retransmit(time.monotonic())
        return self.ep.backlog()


class AdminUdpTransport(_UdpTransport):
    """The admin's side: the Admin Port socket, a stream per actor process,
    per attached program and per peer admin (PeerTransport)."""

    links_are_addresses = True  # a new actor process says hello by address: spares can serve

    def __init__(self, sock: socket.socket, me: str, token: str, limit: int, key: bytes) -> None:
        hello_limit = _env_seconds("ACTORCORE_UDP_HELLO_SECONDS", 10.0)
        super().__init__(sock, me, limit, key, hs_limit=hello_limit)
        self.key = key
        self.host, self.port = self.ep.local
        self.listen_address = f"{self.host}:{self.port}"
        self.token = token  # only processes this admin started know it: the "actor" hello
        self.expected: set[str] = set()
        self.held: dict[str, list[Envelope]] = {}
        self.children: dict[str, Address] = {}
        self.clients: dict[str, Address] = {}
        self.client_seq = 0
        self.peers: dict[str, Address] = {}
        self.connecting: dict[str, tuple[Address, float]] = {}
        self.peer_ka: dict[str, float] = {}
        self.peer_silence = _env_seconds("ACTORCORE_UDP_PEER_SILENCE", 15.0)
        self.hello_limit = hello_limit
        self.directs: set[tuple[str, str]] = set()
        self.next_sweep = 0.0
        self.connect_limit = _env_seconds("ACTORCORE_UDP_CONNECT_SECONDS", 5.0)

    # -- the admin's interface ------------------------------------------------
    def child_link(self, child: Any) -> UdpActorLink:
        self.expected.add(child)
        return UdpActorLink(reachable(self.host), self.port, child, self.token, self.limit, self.key)

    def child_started(self, child: Any) -> None:
        """The child says hello by itself; nothing to hand over."""

    def final_from(self, child: Any) -> list[Envelope]:
        self.ep.read(self._deliver, self._probe)  # what it sent last may still be in the socket
        mine = [env for key, env in self.ready if key == child]
        if mine:
            self.ready = deque(item for item in self.ready if item[0] != child)
        return mine

    def forget_child(self, child: Any) -> list[Envelope]:
        self.expected.discard(child)
        self._undirect(child)
        out = self.held.pop(child, [])
        where = self.children.pop(child, None)
        if where is not None:
            out.extend(self.ep.forget(where))
        return [env for env in out if env[0] != CONTROL]

    def is_client(self, target: Any) -> bool:
        return process_key(target) in self.clients

    def send(self, target: Any, envelope: Any) -> None:
        key = process_key(target)
        where = self.children.get(key) or self.clients.get(key)
        if where is None:
            if key in self.expected:  # spawned, hello not read yet
                self.held.setdefault(key, []).append(envelope)
                return
            where = self.peers.get(system_of(target))
            if where is None:
                return  # nobody by that name: the process is gone
        else:
            sender = envelope[1]
            if sender and sender != self.address:
                s = process_key(sender)
                if s != key and (s, key) not in self.directs:
                    self._direct(s, key, where)
        self.ep.send(where, envelope)

    def _direct(self, s: str, t: str, where_t: Address) -> None:
        """Tell process ``s`` where ``t``'s socket is, so that it sends there directly."""
        where_s = self.children.get(s) or self.clients.get(s)
        if where_s is None:
            return
        self.directs.add((s, t))
        self.ep.send(where_s, (CONTROL, "direct-to", f"{t}\n{fmt(where_t)}".encode()))

    def _undirect(self, gone: str) -> None:
        """``gone``'s process ended: whoever sends to it directly must send what
        it still holds for it through the admin (which makes dead letters of it)."""
        pairs = [p for p in self.directs if gone in p]
        for s, t in pairs:
            self.directs.discard((s, t))
            if t == gone:
                where_s = self.children.get(s) or self.clients.get(s)
                if where_s is not None:
                    self.ep.send(where_s, (CONTROL, "gone", t.encode()))

    # -- PeerTransport ---------------------------------------------------------
    def peer_connect(self, where: str) -> None:
        if where in self.connecting:
            return
        try:
            addr = resolve(where)
        except (OSError, ValueError) as exc:
            self._event(PeerEvent.FAILED, f"{where}\ncannot resolve {where!r}: {exc}")
            return
        if addr == self.ep.local:
            self._event(PeerEvent.FAILED, f"{where}\nthat is this admin's own address")
            return
        for sysid, known in self.peers.items():
            if known == addr:
                self._event(PeerEvent.UP, f"{sysid}\n{fmt(addr)}\n{where}")
                return
        self.connecting[where] = (addr, time.monotonic() + self.connect_limit)
        self.ep.send(addr, _hello("peer", "", self.address, self.listen_address))

    def peer_send(self, sysid: str, envelope: Envelope) -> bool:
        where = self.peers.get(sysid)
        if where is None:
            return False
        self.ep.send(where, envelope)
        return True

    def peer_close(self, sysid: str) -> None:
        where = self.peers.pop(sysid, None)
        self.peer_ka.pop(sysid, None)
        if where is not None:
            self.ep.send(where, (CONTROL, "bye", b""))  # best effort: state goes now
            self.ep.forget(where)

    def _event(self, kind: PeerEvent, text: str) -> None:
        self.ready.append((None, (CONTROL, kind, text.encode())))

    def _timers(self, now: float) -> float | None:
        if now >= self.next_sweep:
            self.next_sweep = now + min(1.0, self.hello_limit / 2)
            self.ep.expire_strangers(now, self.hello_limit)
            self.ep.report()
        soonest: float | None = self.next_sweep - now
        for where, (addr, due) in list(self.connecting.items()):
            failed = self.ep.auth_failures.pop(addr, None)
            if failed is not None:
                del self.connecting[where]
                self.ep.forget(addr)
                self._event(PeerEvent.FAILED, f"{where}\n{failed[0]}")
                continue
            if now >= due:
                del self.connecting[where]
                if addr not in self.peers.values():
                    self.ep.forget(addr)
                self._event(PeerEvent.FAILED, f"{where}\nno answer within {self.connect_limit:g} s")
            elif soonest is None or due - now < soonest:
                soonest = due - now
        ka_every = self.peer_silence / 4
        for sysid, addr in list(self.peers.items()):
            chan = self.ep.channels.get(addr)
            if chan is None or now - chan.heard > self.peer_silence:
                self._peer_gone(sysid, addr)
                continue
            if now >= self.peer_ka.get(sysid, 0.0):
                self.peer_ka[sysid] = now + ka_every
                self.ep.send(addr, (CONTROL, "ka", b""))
            left = self.peer_ka[sysid] - now
            if soonest is None or left < soonest:
                soonest = left
        return soonest

    def _peer_gone(self, sysid: str, addr: Address) -> None:
        self.peers.pop(sysid, None)
        self.peer_ka.pop(sysid, None)
        self.ep.forget(addr)
        self._event(PeerEvent.DOWN, sysid)

    # -- receiving ---------------------------------------------------------------
    def _probe(self, where: Address) -> None:
        self.ep.control(PROBE_REPLY, where)

    def _deliver(self, chan: Channel, env: Envelope) -> None:
        if env[0] != CONTROL:
            if chan.key is None:
                self.ep.complain("nohello", f"admin dropped a stream from {fmt(chan.where)}: "
                                 "it did not start with a hello")
                self.ep.forget(chan.where)
                return
            if (chan.key, env[1]) == chan.sender or chan.key in self.peers or self._own(chan, env):
                self.ready.append((chan.key, env))
            return
        op, data = env[1], env[2].decode("utf-8", "replace")
        if op == "hello":
            self._hello(chan, data)
        elif op == "peer-welcome":
            self._peer_welcome(chan, data)
        elif op == "bye":
            self._bye(chan)
        elif op == "ka":
            if chan.key is None:  # a peer we dropped still thinks it is connected
                self.ep.send(chan.where, (CONTROL, "bye", b""))
        else:
            self.ep.complain("control", f"admin ignored control {op!r} from {fmt(chan.where)}")

    def _hello(self, chan: Channel, data: str) -> None:
        parts = data.split("\n")
        role = parts[0] if len(parts) == 4 else ""
        if role == "actor" and parts[1] == self.token and parts[2] in self.expected:
            key = parts[2]
            chan.key = key
            self.children[key] = chan.where
            for env in self.held.pop(key, []):
                self.ep.send(chan.where, env)
            return
        if role == "client":
            if chan.key is None:
                self.client_seq += 1
                chan.key = f"{self.address}+{self.client_seq}"
                self.clients[chan.key] = chan.where
            welcome = f"{chan.key}:\n{self.address}\n{os.getpid()}"
            self.ep.send(chan.where, (CONTROL, "welcome", welcome.encode()))
            return
        if role == "peer" and parts[2] and "/" not in parts[2] and "+" not in parts[2]:
            sysid, listen = parts[2], parts[3]
            is_new = self.peers.get(sysid) != chan.where
            chan.key = sysid
            self.peers[sysid] = chan.where
            self.ep.send(chan.where, (CONTROL, "peer-welcome",
                                      f"{self.address}\n{self.listen_address}".encode()))
            if is_new:
                self._event(PeerEvent.UP, f"{sysid}\n{listen}\n")
            return
        self.ep.complain("hello", f"admin dropped a stream from {fmt(chan.where)}: "
                         f"unexpected hello {role!r}")
        self.ep.forget(chan.where)

    def _peer_welcome(self, chan: Channel, data: str) -> None:
        sysid, _, listen = data.partition("\n")
        chan.key = sysid
        self.peers[sysid] = chan.where
        for where, (addr, _due) in list(self.connecting.items()):
            if addr == chan.where:
                del self.connecting[where]
                self._event(PeerEvent.UP, f"{sysid}\n{listen}\n{where}")

    def _bye(self, chan: Channel) -> None:
        key = chan.key
        if key is None:
            return
        if key in self.clients:
            del self.clients[key]
            self._undirect(key)
            self.ep.forget(chan.where)
        elif self.peers.get(key) == chan.where:
            self._peer_gone(key, chan.where)

    def close(self) -> None:
        clients = set(self.clients.values())
        for addr in self.peers.values():
            self.ep.send(addr, (CONTROL, "bye", b""))
        waited = clients | set(self.peers.values())
        start = time.monotonic()

        def delivered() -> bool:  # the clients wait for the last replies
            # A live peer acknowledges within a few retransmissions; one silent
            # for _GONE_SILENT since we began is gone (a program that exited
            # without a bye): waiting out the 5 s for it delayed every shutdown.
            now = time.monotonic()
            return not any(c.busy() and now - max(c.heard, start) < _GONE_SILENT
                           for w, c in self.ep.channels.items() if w in waited)

        self.ep.settle(5.0, lambda chan, env: None, delivered)
        self.ep.close()


class EndpointUdpTransport(_UdpTransport):
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
        self.welcome: str | None = None
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
            self.welcome = data
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
            if pid and not procs.pid_alive(pid):
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


class UdpActorLink:
    """What an actor process needs to join its system: where the admin's socket is."""

    def __init__(self, host: str, port: int, me: str, token: str, limit: int, key: bytes) -> None:
        self.host = host
        self.port = port
        self.me = me
        self.token = token
        self.limit = limit
        self.key = key

    def open(self) -> EndpointUdpTransport:
        t = EndpointUdpTransport(self.me, self.host, (self.host, self.port), self.limit, self.key)
        t.admin_pid = os.getppid()  # the admin starts every actor process
        t.ep.send(t.admin, _hello("actor", self.token, self.me, ""))
        return t


class ClientUdpTransport(EndpointUdpTransport):
    """An ActorSystem's side: attaches to the admin on the Admin Port, or
    prepares one to be started there."""

    service_acks = True

    def __init__(self, host: str, port: int, limit: int, key: bytes) -> None:
        super().__init__("", host, (reachable(host), port), limit, key)
        self.admin_host = host
        self.admin_port = port
        self.admin_address = ""
        self.client_prefix = ""
        self.admin_pid = 0

    def admin_link(self) -> AdminLink[AdminUdpTransport]:
        try:
            sock = bind(self.admin_host, self.admin_port)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot bind UDP {self.admin_host}:{self.admin_port}: "
                          f"{exc.strerror}") from None
        return AdminLink(partial(AdminUdpTransport, key=self.ep.key), sock, f"U{os.urandom(4).hex()}",
                         os.urandom(16).hex(), self.limit)

    def _probe_admin(self, limit: float) -> str:
        """"up" (an actorcore UDP admin answered), "absent" (the port is closed),
        or "silent" (something holds the port but does not answer)."""
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(self.admin)  # connected: a closed port comes back as ECONNREFUSED
            probe.settimeout(0.2)
            deadline = time.monotonic() + limit
            while time.monotonic() < deadline:
                try:
                    probe.send(HDR.pack(MAGIC, PROBE, 0, 0, 0, 0, 0))
                    data = probe.recv(256)
                except ConnectionRefusedError:
                    return "absent"
                except TimeoutError:
                    continue
                except OSError as exc:
                    if exc.errno == errno.ECONNREFUSED:
                        return "absent"
                    raise ConnectionError(f"cannot reach {fmt(self.admin)}: {exc}") from None
                if len(data) >= HDR.size and data[:4] == MAGIC and data[4] == PROBE_REPLY:
                    return "up"
            return "silent"
        finally:
            probe.close()

    def preflight(self) -> None:
        """Nothing to check before starting an admin: a UDP admin reaches its
        convention leader whenever that one is up, by datagrams that need no route
        to be ready in advance (and the leader's address is checked by the plugin)."""

    def try_attach(self, wait: float = 0.0) -> AttachState:
        """Attach to an admin on the Admin Port: ATTACHED, ABSENT (nothing
        is bound there), or raise ConnectionError naming what answered instead."""
        where = fmt(self.admin)
        deadline = time.monotonic() + wait
        while True:
            state = self._probe_admin(2.0)
            if state == "up":
                break
            if state == "silent":
                raise ConnectionError(f"something holds UDP {where} but it is not an actorcore "
                                      "UDP admin (no answer within 2 s)")
            if time.monotonic() >= deadline:
                return AttachState.ABSENT
            time.sleep(0.02)
        self.ep.send(self.admin, _hello("client", "", "", ""))
        limit = time.monotonic() + max(5.0, wait)
        poll = select.poll()
        poll.register(self.ep.fd, select.POLLIN)
        while self.welcome is None and time.monotonic() < limit:
            self.ep.flush_acks()
            self.ep.retransmit(time.monotonic())
            if poll.poll(50):
                self.ep.read(self._deliver)
            failed = self.ep.auth_failures.get(self.admin)
            if failed is not None:
                why, denied = failed
                if denied:
                    raise PermissionError(f"{why}. Programs that share a system need the same "
                                          "secret (docs/security.md)")
                raise ConnectionError(f"something holds UDP {where} but it is not an actorcore "
                                      f"UDP admin ({why})")
        if self.welcome is None:
            raise ConnectionError(f"an actorcore UDP admin answers on {where} but sent no "
                                  "welcome within 5 s")
        prefix, admin_id, pid = self.welcome.split("\n")
        self.client_prefix = prefix
        self.address = prefix[:-1]
        self.admin_address = admin_id
        self.admin_pid = int(pid)
        return AttachState.ATTACHED

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        got = super().receive(timeout, waitables)
        # A program may take its reply and never read again (shutdown waits
        # for the admin to exit, which waits for this ack): the service
        # thread acknowledges it unless the next message out carries the ack
        # first (an ask loop then sends two datagrams per ask, not three).
        if self.ep.owed and self._service is None:
            self._start_service()
        return got

    def close(self) -> None:
        if self.client_prefix and not self.ep.closed:
            self.ep.send(self.admin, (CONTROL, "bye", b""))  # the admin forgets us at once
        super().close()
