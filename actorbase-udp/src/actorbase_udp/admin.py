"""The admin's UDP transport: the Admin Port socket, a stream per actor
process, per attached program and per peer admin (conventions), the hellos
that open them, and the introductions that let two processes send to each
other directly. Knows envelopes and addresses, never actors.
"""
from __future__ import annotations

import os
import socket
import time
from collections import deque
from typing import Any

from actorcore.plugin import (
    CONTROL,
    ActorLink,
    Hello,
    HelloRole,
    PeerEvent,
    Welcome,
    env_seconds,
    hello,
    parse_hello,
    system_of,
)

from .addressing import process_key
from .channel import Channel
from .endpoint import EndpointUdpTransport, join
from .transportbase import UdpTransportBase
from .wire import PROBE_REPLY, Address, Envelope, fmt, reachable, resolve

_GONE_SILENT = 1.0  # seconds: a peer that acknowledges nothing for this long while we close is gone


class AdminUdpTransport(UdpTransportBase):
    """The admin's side: the Admin Port socket, a stream per actor process,
    per attached program and per peer admin (PeerTransport)."""

    links_are_addresses = True  # a new actor process says hello by address: spares can serve

    def __init__(self, sock: socket.socket, me: str, token: str, limit: int, key: bytes) -> None:
        super().__init__(sock, me, limit, key)
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
        self.peer_silence = env_seconds("ACTORCORE_UDP_PEER_SILENCE", 15.0, 0.05)
        self.hello_limit = self.ep.hs_limit
        self.directs: set[tuple[str, str]] = set()
        self.next_sweep = 0.0
        self.connect_limit = env_seconds("ACTORCORE_UDP_CONNECT_SECONDS", 5.0, 0.05)

    def own_sockets(self) -> list[socket.socket]:
        """For runtime/forkclose.py: the Admin Port's socket, the one the
        admin reads every stream on."""
        return [self.ep.sock]

    # -- the admin's interface ------------------------------------------------
    def child_link(self, child: Any) -> ActorLink[EndpointUdpTransport]:
        self.expected.add(child)
        return ActorLink(join, f"{reachable(self.host)}:{self.port}", child, self.token, self.limit,
                         self.key)

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
        self.ep.send(addr, hello(HelloRole.ADMIN, key=self.address, listen=self.listen_address))

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
            self._hello(chan, parse_hello(env))
        elif op == "peer-welcome":
            self._peer_welcome(chan, data)
        elif op == "bye":
            self._bye(chan)
        elif op == "ka":
            if chan.key is None:  # a peer we dropped still thinks it is connected
                self.ep.send(chan.where, (CONTROL, "bye", b""))
        else:
            self.ep.complain("control", f"admin ignored control {op!r} from {fmt(chan.where)}")

    def _hello(self, chan: Channel, said: Hello | None) -> None:
        role = said.role if said is not None else ""
        if said is not None and role == HelloRole.ACTOR and said.token == self.token \
                and said.key in self.expected:
            key = said.key
            chan.key = key
            self.children[key] = chan.where
            for env in self.held.pop(key, []):
                self.ep.send(chan.where, env)
            return
        if role == HelloRole.CLIENT:
            if chan.key is None:
                self.client_seq += 1
                chan.key = f"{self.address}+{self.client_seq}"
                self.clients[chan.key] = chan.where
            self.ep.send(chan.where, Welcome(f"{chan.key}:", self.address, os.getpid()).envelope())
            return
        if said is not None and role == HelloRole.ADMIN and said.key and "/" not in said.key \
                and "+" not in said.key:
            sysid, listen = said.key, said.listen
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
