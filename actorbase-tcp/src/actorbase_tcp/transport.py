"""TCP transport: every process links to the admin over one connection; the
admin forwards, and hands processes that talk to each other a direct
connection (a ``direct-to`` with the peer's listening address). The sender
switches after a ``SWITCHED`` marker sent through the admin, and the peer
reads the direct connection only after that marker, so order per sender is
kept across the switch.

Every connection first runs the handshake of ``actorcore._core.handshake`` (see
``conn.py``): nothing a peer sends before it has proven it holds the secret
is handed on, and after it every frame is sealed. Then it opens with a hello
frame (target ``""``): ``actor`` (an actor process of this system, carrying
the system's token), ``client`` (an ActorSystem in some process, answered
with ``welcome`` and its address prefix), ``admin`` (another system's admin),
or ``peer`` (a direct connection). Anything else, a frame over the size
limit, a failed handshake or silence past the hello deadline closes the
connection with a logged (rate-limited) reason; the admin keeps serving.
After the hello, an envelope whose sender is not the connection's own
process is dropped and logged.

The parts: :mod:`.admin` (the admin's side), :mod:`.endpoint` (an actor
process's), :mod:`.client` (the creating or attaching program's), on
:mod:`.conn` (one connection) and :mod:`.peers` (other systems' admins).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .admin import AdminTcpTransport
from .client import ClientTcpTransport
from .endpoint import EndpointTcpTransport

__all__ = ["AdminTcpTransport", "ClientTcpTransport", "EndpointTcpTransport"]

if TYPE_CHECKING:  # mypy checks that each class is what the runtime takes it for
    from actorcore.plugin import PeerTransport, SharedClientTransport, Transport

    _client: type[SharedClientTransport] = ClientTcpTransport
    _admin: type[PeerTransport] = AdminTcpTransport
    _actor: type[Transport] = EndpointTcpTransport
