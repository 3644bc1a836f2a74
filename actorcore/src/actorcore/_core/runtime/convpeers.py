"""What one admin knows of the other systems of its convention: each peer,
the convention's periods, and the actors that watch peers come and go.

Plain records apart from :mod:`.conventions` (which drives them) so that the
protocol code reads without them; knows no transport, and of the admin
only how to send a message.
"""
from __future__ import annotations

import logging
from typing import Any

import attrs

from ..addresses import ActorAddress
from ..messages import ActorSystemConventionUpdate
from ..transport import system_of
from .convhost import ConventionHost
from .limits import env_int, env_minutes_seconds

_log = logging.getLogger("actorcore.convention")


@attrs.define
class Timing:
    """Convention periods, from the environment (docs/api.md §6.4)."""

    reregister: float = 442.0  # 7 min 22 s
    restart: float = 202.0  # 3 min 22 s
    miss_max: int = 3

    @classmethod
    def from_env(cls) -> Timing:
        return cls(
            reregister=env_minutes_seconds("CONVENTION_REREGISTRATION_PERIOD", 442.0),
            restart=env_minutes_seconds("CONVENTION_RESTART_PERIOD", 202.0),
            miss_max=env_int("CONVENTION_REGISTRATION_MISS_MAX", 3),
        )

    @property
    def silence_limit(self) -> float:
        """How long a registered peer may stay silent before it is declared gone."""
        return self.reregister * (self.miss_max + 0.5)


@attrs.define(eq=False)
class Peer:
    """Another system's admin as this one knows it."""

    sysid: str
    listen: str = ""
    where: str = ""  # the address we reach it at, when we opened the connection
    capabilities: dict[str, Any] = attrs.Factory(dict)
    leads_me: bool = False  # it is (one of) my leader(s)
    member: bool = False  # it registered with me
    announced: bool = False  # watchers were told remoteAdded=True
    last_seen: float = 0.0
    joined: float = 0.0
    placed: int = 0
    pre: str = ""  # the address it was pre-registered under (kept until deregistered)


class Watchers:
    """Actors that asked to hear of systems joining and leaving (in the order they asked)."""

    def __init__(self, host: ConventionHost) -> None:
        self.actors: list[Any] = []
        self.host = host

    def watch(self, actor: Any, start: bool, known: list[Peer]) -> None:
        """Start (told at once of the ``known`` peers) or stop watching."""
        self.forget(actor)
        if not start:
            return
        self.actors.append(actor)
        for peer in known:
            self.host.send_msg(actor, _update(peer, True))

    def forget(self, actor: Any) -> None:
        if actor in self.actors:
            self.actors.remove(actor)

    def tell(self, peer: Peer, added: bool) -> None:
        for actor in list(self.actors):
            self.host.send_msg(actor, _update(peer, added))


def _update(peer: Peer, added: bool) -> ActorSystemConventionUpdate:
    return ActorSystemConventionUpdate(ActorAddress(peer.sysid), dict(peer.capabilities), added)


def well_formed(msg: Any, sender: Any) -> bool:
    """A registration names the system it came from and carries a capability dict."""
    ok = (isinstance(msg.sysid, str) and msg.sysid == system_of(str(sender))
          and isinstance(msg.listen, str) and isinstance(msg.capabilities, dict))
    if not ok:
        _log.warning("convention: ignored a malformed %s from %s", type(msg).__name__, sender)
    return ok
