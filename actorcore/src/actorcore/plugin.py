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
- In-process bases: the actor rules of :mod:`actorcore.delivery`
  (:class:`ActorCell`, :func:`drain` and the system-side rules), the
  :class:`ActorContext` an actor calls, class resolution and construction,
  the source registry.
- Socket and pipe helpers: :class:`Poller`, :class:`Outbox`, :mod:`framing`
  (length-prefixed frames), :mod:`handshake` (the shared-secret handshake and
  frame sealing), the address/capability helpers of network bases.
"""
from __future__ import annotations

from . import handshake
from .base import NOTHING, Endpoint, SystemBase
from .capabilities import common_capabilities
from .context import ActorContext
from .creation import check_class_name, class_spec, instantiate, resolve_actor_class
from .delivery import (
    DONE,
    LIVE,
    ActorCell,
    bounce_held,
    capability_refusal,
    dead_letter,
    drain,
    next_dead_letter_handler,
    orphan,
    system_requests,
    update_capability,
)
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
from .plugins import hook as plugin_hooks
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
from .sourceregistry import SourceRegistry
from .sources import read_source
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
    "ActorCell",
    "ActorContext",
    "ActorLink",
    "AdminLink",
    "AdminTransport",
    "AttachState",
    "AuthenticationFailed",
    "BaseConfig",
    "BaseRegistry",
    "BoundLink",
    "CHALLENGE",
    "CONTROL",
    "ClientTransport",
    "DONE",
    "Endpoint",
    "Envelope",
    "FEATURES",
    "FrameOpener",
    "FrameSealer",
    "HANDSHAKE_MAGIC",
    "HELLO",
    "Handshake",
    "HandshakeError",
    "Hello",
    "HelloRole",
    "LIVE",
    "Link",
    "MAC_BYTES",
    "MAX_MESSAGE",
    "MultiprocSystem",
    "NOTHING",
    "Outbox",
    "PROOF",
    "PeerEvent",
    "PeerFailure",
    "PeerTransport",
    "Poller",
    "REFUSED",
    "RateLimitedLog",
    "RuntimeMessage",
    "SharedClientTransport",
    "SourceRegistry",
    "SystemBase",
    "Transport",
    "Welcome",
    "admin_port",
    "avoiding",
    "bounce_held",
    "capability_refusal",
    "check_class_name",
    "class_spec",
    "common_capabilities",
    "dead_letter",
    "drain",
    "env_seconds",
    "flag",
    "framing",
    "handshake",
    "handshake_key",
    "hello",
    "hookimpl",
    "instantiate",
    "internal_log",
    "leaders",
    "local_ip",
    "max_message_size",
    "next_dead_letter_handler",
    "orphan",
    "parse_hello",
    "pid_alive",
    "plugin_hooks",
    "port_holder",
    "process_context",
    "process_key",
    "read_source",
    "read_welcome",
    "resolve_actor_class",
    "system_of",
    "system_requests",
    "update_capability",
]
