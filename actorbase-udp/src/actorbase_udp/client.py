"""The UDP transport of a program that creates or attaches to a system: it
probes the Admin Port, attaches to the admin there, or binds the port for an
admin it is about to start. Knows envelopes and addresses, never actors.
"""
from __future__ import annotations

import enum
import errno
import os
import select
import socket
import time
from functools import partial
from typing import Any, Sequence

from actorcore.plugin import CONTROL, AdminLink, AttachState, HelloRole, hello

from .admin import AdminUdpTransport
from .endpoint import EndpointUdpTransport
from .wire import HDR, MAGIC, PROBE, PROBE_REPLY, bind, fmt, reachable


class Probed(enum.Enum):
    """What answered a probe of the Admin Port."""

    UP = "up"  # an actorcore UDP admin
    ABSENT = "absent"  # nothing: the port is closed
    SILENT = "silent"  # something holds the port but does not answer

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

    def _probe_admin(self, limit: float) -> Probed:
        """Who answers on the Admin Port within ``limit`` seconds."""
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(self.admin)  # connected: a closed port comes back as ECONNREFUSED
            if probe.getsockname()[:2] == probe.getpeername()[:2]:
                # connect() bound the probe to the Admin Port itself (an ephemeral
                # port, just picked as "free"): nobody else holds it. Probing would
                # read our own probe and take the port for one held (a CI flake).
                return Probed.ABSENT
            probe.settimeout(0.2)
            deadline = time.monotonic() + limit
            while time.monotonic() < deadline:
                try:
                    probe.send(HDR.pack(MAGIC, PROBE, 0, 0, 0, 0, 0))
                    data = probe.recv(256)
                except ConnectionRefusedError:
                    return Probed.ABSENT
                except TimeoutError:
                    continue
                except OSError as exc:
                    if exc.errno == errno.ECONNREFUSED:
                        return Probed.ABSENT
                    raise ConnectionError(f"cannot reach {fmt(self.admin)}: {exc}") from None
                if len(data) >= HDR.size and data[:4] == MAGIC and data[4] == PROBE_REPLY:
                    return Probed.UP
            return Probed.SILENT
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
            if state is Probed.UP:
                break
            if state is Probed.SILENT:
                raise ConnectionError(f"something holds UDP {where} but it is not an actorcore "
                                      "UDP admin (no answer within 2 s)")
            if time.monotonic() >= deadline:
                return AttachState.ABSENT
            time.sleep(0.02)
        self.ep.send(self.admin, hello(HelloRole.CLIENT))
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
        welcome = self.welcome
        self.client_prefix, self.address = welcome.prefix, welcome.address
        self.admin_address, self.admin_pid = welcome.admin, welcome.pid
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
