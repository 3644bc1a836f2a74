"""What a system-base author may use: the one surface a plugin imports from.

A base (in-process or multiprocess) is a distribution that registers with
the ``actorcore`` entry-point group and implements the hooks of
:mod:`actorcore.hookspecs` with :data:`hookimpl`. Everything it needs from
the core is named here; the built-in bases import nothing else (a test checks
it), so a third party can write anything they can. The names below are kept
stable within a minor version; the modules they come from may move.

- Registration: :data:`hookimpl`, :class:`BaseRegistry`, and :data:`FEATURES`,
  what a base may declare about itself when it registers.
- The contract a base implements: :class:`SystemBase` and :class:`Endpoint`
  (in-process bases); the transport Protocols (multiprocess bases).
- The multiprocess runtime a transport plugs into: :class:`MultiprocSystem`
  with its :class:`BaseConfig`.
- Socket and pipe helpers: :class:`Poller`, :class:`Outbox`, :mod:`framing`
  (length-prefixed frames), :mod:`handshake` (the shared-secret handshake and
  frame sealing), the address/capability helpers of network bases.
"""
from __future__ import annotations

from . import handshake
from .base import NOTHING, Endpoint, SystemBase
from .handshake import (
    CHALLENGE,
    HELLO,
    MAC_BYTES,
    MAX_MESSAGE,
    PROOF,
    REFUSED,
    AuthenticationFailed,
    FrameOpener,
    FrameSealer,
    Handshake,
    HandshakeError,
)
from .handshake import MAGIC as HANDSHAKE_MAGIC
from .hookspecs import hookimpl
from .plugins import internal_log
from .registry import FEATURES, BaseRegistry
from .runtime import framing
from .runtime.client import BaseConfig, MultiprocSystem
from .runtime.hello import CONTROL, Hello, HelloRole, Welcome, hello, parse_hello, read_welcome
from .runtime.limits import env_seconds
from .runtime.links import ActorLink, AdminLink
from .runtime.netbase import (
    admin_port,
    avoiding,
    flag,
    handshake_key,
    leaders,
    local_ip,
    max_message_size,
    process_key,
)
from .runtime.outbox import Outbox
from .runtime.poller import Poller
from .runtime.portinfo import port_holder
from .runtime.procs import context as process_context
from .runtime.procs import pid_alive
from .runtime.protocol import RuntimeMessage
from .runtime.ratelog import RateLimitedLog
from .transport import (
    AdminTransport,
    AttachState,
    BoundLink,
    ClientTransport,
    Envelope,
    Link,
    PeerEvent,
    PeerFailure,
    PeerTransport,
    SharedClientTransport,
    Transport,
    system_of,
)

__all__ = [
    "CHALLENGE",
    "CONTROL",
    "HANDSHAKE_MAGIC",
    "HELLO",
    "MAC_BYTES",
    "MAX_MESSAGE",
    "FEATURES",
    "NOTHING",
    "PROOF",
    "REFUSED",
    "ActorLink",
    "AdminLink",
    "AdminTransport",
    "AttachState",
    "AuthenticationFailed",
    "BaseConfig",
    "BaseRegistry",
    "BoundLink",
    "ClientTransport",
    "Endpoint",
    "Envelope",
    "FrameOpener",
    "FrameSealer",
    "Handshake",
    "HandshakeError",
    "Hello",
    "HelloRole",
    "Link",
    "MultiprocSystem",
    "Outbox",
    "PeerEvent",
    "PeerFailure",
    "PeerTransport",
    "Poller",
    "RateLimitedLog",
    "RuntimeMessage",
    "SharedClientTransport",
    "SystemBase",
    "Transport",
    "Welcome",
    "admin_port",
    "avoiding",
    "env_seconds",
    "flag",
    "framing",
    "handshake",
    "handshake_key",
    "hello",
    "hookimpl",
    "internal_log",
    "leaders",
    "local_ip",
    "max_message_size",
    "parse_hello",
    "pid_alive",
    "port_holder",
    "process_context",
    "process_key",
    "read_welcome",
    "system_of",
]
