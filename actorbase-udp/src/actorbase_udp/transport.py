"""UDP transport: every process has one datagram socket; the admin's is the
Admin Port. Actor processes and attached programs send everything to the
admin, which forwards (a star), so per-sender order and dead-letter detection
are the admin's, exactly as on the other bases; the reliable streams of
:mod:`.datagrams` make sure nothing is lost on the way.

Every pair of sockets first runs the handshake of ``actorcore._core.handshake``
with the system's secret, and then MACs every datagram (see :mod:`.sessions`):
nothing from a socket that has not proven it holds the secret is
acknowledged, reassembled, handed on or unpickled. Then each stream opens
with a hello envelope (target ``""``): ``actor`` (an actor process of this
system, with the token only the admin's children know), ``client`` (a program
attaching, answered with ``welcome``: its address prefix, the admin's id and
pid) or ``admin`` (another admin, conventions: answered with
``peer-welcome``). A stream whose first message is not a hello is dropped
and logged; an envelope whose sender is not the process at the other end is
dropped and logged (rate-limited); the admin keeps serving.

The parts: :mod:`.admin` (the admin's side), :mod:`.endpoint` (an actor
process's), :mod:`.client` (the creating or attaching program's), all on
:mod:`.transportbase`, over a socket's :class:`~.datagrams.Endpoint`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .admin import AdminUdpTransport
from .client import ClientUdpTransport
from .endpoint import EndpointUdpTransport

__all__ = ["AdminUdpTransport", "ClientUdpTransport", "EndpointUdpTransport"]

if TYPE_CHECKING:  # mypy checks that each class is what the runtime takes it for
    from actorcore.plugin import PeerTransport, SharedClientTransport, Transport

    _client: type[SharedClientTransport] = ClientUdpTransport
    _admin: type[PeerTransport] = AdminUdpTransport
    _actor: type[Transport] = EndpointUdpTransport
