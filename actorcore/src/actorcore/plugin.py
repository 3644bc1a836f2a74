"""What a system-base author may use: the one surface a plugin imports from.

A base (in-process or multiprocess) is a distribution that registers with
the ``actorcore`` entry-point group and implements the hooks of
:mod:`actorcore._core.hookspecs` (docs/plugins.md lists them) with :data:`hookimpl`. Everything it needs from
the core is named here; the built-in bases import nothing else (a test checks
it), so a third party can write anything they can. The names below are kept
stable within a minor version; the modules they come from may move.

- Registration: :data:`hookimpl`, :class:`BaseRegistry`, and :data:`FEATURES`,
  what a base may declare about itself when it registers.
- The contract a base implements: :class:`SystemBase` and :class:`Endpoint`
  (in-process bases); the transport Protocols (multiprocess bases).
- The multiprocess runtime a transport plugs into: :class:`MultiprocSystem`
  with its :class:`BaseConfig`.
- In-process bases: the actor rules written once in the core
  (:class:`ActorCell`, :func:`drain` and the system-side rules), the
  asyncio loop async handlers run on (:func:`async_driver`, stepped by the
  base while it waits; multiprocess bases get it from the runtime), the
  :class:`ActorContext` an actor calls, class resolution and construction,
  the source registry.
- Socket and pipe helpers: :class:`Poller`, :class:`Outbox`, :mod:`framing`
  (length-prefixed frames), :mod:`handshake` (the shared-secret handshake and
  frame sealing), the address/capability helpers of network bases.
"""
from __future__ import annotations

from ._core import handshake
from ._core.asyncloop import Driver as AsyncDriver
from ._core.asyncloop import driver as async_driver
from ._core.base import NOTHING, Endpoint, SystemBase
from ._core.capabilities import common_capabilities
from ._core.context import ActorContext
from ._core.creation import check_class_name, class_spec, instantiate, resolve_actor_class
from ._core.delivery import DONE, LIVE, ActorCell, drain
from ._core.handshake import (
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
from ._core.handshake import MAGIC as HANDSHAKE_MAGIC
from ._core.hookspecs import hookimpl
from ._core.plugins import hook as plugin_hooks
from ._core.plugins import internal_log
from ._core.registry import FEATURES, BaseRegistry
from ._core.runtime import framing
from ._core.runtime.client import BaseConfig, MultiprocSystem
from ._core.runtime.hello import (
    CONTROL,
    Hello,
    HelloRole,
    Welcome,
    hello,
    parse_hello,
    read_welcome,
)
from ._core.runtime.limits import env_seconds
from ._core.runtime.links import ActorLink, AdminLink
from ._core.runtime.netbase import (
    admin_port,
    avoiding,
    flag,
    handshake_key,
    leaders,
    local_ip,
    max_message_size,
    process_key,
)
from ._core.runtime.outbox import Outbox
from ._core.runtime.poller import Poller
from ._core.runtime.portinfo import port_holder
from ._core.runtime.procs import context as process_context
from ._core.runtime.procs import pid_alive
from ._core.runtime.protocol import RuntimeMessage
from ._core.runtime.ratelog import RateLimitedLog
from ._core.runtime.wire import UnpicklableMessage, pickled
from ._core.sourceregistry import SourceRegistry
from ._core.sources import read_source
from ._core.sysrules import (
    bounce_held,
    capability_refusal,
    dead_letter,
    next_dead_letter_handler,
    orphan,
    system_requests,
    update_capability,
)
from ._core.transport import (
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
    "AsyncDriver",
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
    "UnpicklableMessage",
    "Transport",
    "Welcome",
    "admin_port",
    "async_driver",
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
    "pickled",
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
