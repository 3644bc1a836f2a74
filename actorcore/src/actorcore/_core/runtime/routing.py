"""Where the admin sends an envelope: to a running actor, held for one that
is starting, to another system, to a client, or to dead letters.

Apart from the admin's requests because it runs for every envelope that
passes through the admin (star transports forward all actor traffic here):
it stays one dictionary look-up and one state test on the way to a live
actor. Knows the registry's states; applies the dead-letter rules of
:mod:`actorcore._core.sysrules`; never knows how an actor is started or placed.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from ..addresses import ActorAddress
from ..messages import ChildActorExited, DeadEnvelope, PoisonMessage
from ..sysrules import bounce_held, dead_letter, next_dead_letter_handler
from ..transport import system_of
from . import protocol
from .convhost import AdminConvention
from .registry import LIVE, PENDING, REMOTE, ActorRegistry
from .wire import UnpicklableMessage, dumps, inline, loads

_log = logging.getLogger("actorcore.admin")


class Router:
    """The admin's routing of envelopes and its dead letters."""

    def __init__(self, me: str, transport: Any, registry: ActorRegistry,
                 convention: AdminConvention, own: Callable[[Any], None], base_name: str) -> None:
        self.me = me
        self.transport = transport
        self.registry = registry
        self.convention = convention
        self.own = own  # envelopes for the admin itself
        self.base_name = base_name
        self.dead_letter_handler: Any = None
        self._foreign_warned: set[str] = set()  # systems whose addresses were refused

    def route(self, env: Any, quiet: bool = False) -> None:
        """Deliver ``env``; ``quiet`` for the admin's own messages, which an
        exiting actor or an unknown address drops instead of dead-lettering
        (an exiting actor takes nothing more from the system)."""
        target = env[0]
        if target == self.me:
            self.own(env)
            return
        entry = self.registry.entries.get(target)
        if entry is not None:
            if entry.state == LIVE:
                self.transport.send(target, env)
            elif entry.state == PENDING:
                entry.held.append(env)
            elif entry.state == REMOTE:
                self.to_system(entry.remote, env)  # type: ignore[arg-type]
            elif not quiet:
                self.dead_letter(env)
        elif self.transport.is_client(target):
            self.transport.send(target, env)
        elif target == "":
            self.convention.on_event(env)  # a peer admin came, went, or could not be reached
        else:
            self._elsewhere(env, quiet)

    def send_msg(self, target: ActorAddress | Any, msg: Any) -> None:
        """Send a message from the admin."""
        details = target.addressDetails if isinstance(target, ActorAddress) else target
        try:
            data = dumps(msg)
        except UnpicklableMessage as exc:
            _log.error("admin cannot send %r to %s: %s", msg, details, exc)
            return
        self.route((details, self.me, data), quiet=True)

    def to_system(self, sysid: str, env: Any) -> None:
        env = self._portable(env)
        if env is not None and not self.convention.send(sysid, env):
            self.dead_letter(env)

    def _portable(self, env: Any) -> Any:
        """``env`` as it can go to another system, which may be on another
        host: a message whose buffers are in this host's shared memory takes
        them along in its frame. None when they cannot be read (logged)."""
        data = env[2]
        if data[:1] != b"\x03":
            return env
        try:
            return (env[0], env[1], inline(data))
        except Exception as exc:
            _log.error("message to %s could not be read from shared memory: %s", env[0], exc)
            return None

    def _elsewhere(self, env: Any, quiet: bool) -> None:
        """An envelope for no local actor: another system's, or a dead letter."""
        target = env[0]
        sysid = system_of(target) if isinstance(target, str) else ""
        if sysid and sysid != self.me:
            env = self._portable(env)
            if env is None:
                return
            if self.convention.send(sysid, env) or quiet:
                return
            self._foreign(sysid, target)
            # A member that left: its actors' mail is dead letters, as in
            # Thespian. A system never in a convention with us never was reachable.
            if not self.convention.knows(sysid) and self._refuse_foreign(env, sysid):
                return
        if not quiet:
            self.dead_letter(env)

    def _refuse_foreign(self, env: Any, sysid: str) -> bool:
        """A message for a system this one cannot reach goes back to its
        sender as PoisonMessage, saying why, so that an ask fails at once
        instead of waiting out its timeout; True if it went back."""
        target, sender, data = env
        if not (sender in self.registry.entries or self.transport.is_client(sender)):
            return False  # nobody here to tell: a dead letter
        try:
            msg = loads(data)
        except Exception:
            return False
        if isinstance(msg, (protocol.RuntimeMessage, PoisonMessage, DeadEnvelope, ChildActorExited)):
            return False  # never bounce what is itself a notice (no ping-pong of notices)
        self.send_msg(sender, PoisonMessage(msg, (
            f"not delivered: {target} is an actor of system {sysid}, which this system "
            "cannot reach (it is not this one and not in a convention with it)")))
        return True

    def _foreign(self, sysid: str, target: str) -> None:
        """Say why a message to another system's actor goes nowhere: once per
        system, at warning level, so the loss is never silent."""
        if sysid in self._foreign_warned:
            return
        self._foreign_warned.add(sysid)
        _log.warning(
            "messages to %s and other addresses of actor system %s cannot be delivered (they go "
            "back to their senders as PoisonMessage, or to dead letters after a convention): "
            "that system is not this one and not (or no longer) in a convention with it (%s "
            "systems with separate admins exchange messages only as members of one convention, "
            "which needs a base with an Admin Port; simpleSystemBase systems of one process "
            "reach each other directly)",
            target, sysid, self.base_name,
        )

    # -- dead letters ----------------------------------------------------------
    def dead_letter(self, env: Any, unstarted_parent: Any = None) -> None:
        """``env`` cannot be delivered: the rules of :func:`actorcore._core.sysrules.dead_letter`,
        and of :func:`~actorcore._core.sysrules.bounce_held` for a target that never
        started, child of ``unstarted_parent`` (found here for one whose parent
        has not yet acknowledged its failure)."""
        target, sender, data = env
        try:
            msg = loads(data)
        except Exception as exc:
            _log.warning("undeliverable message to %s could not be read: %s", target, exc)
            return
        if isinstance(msg, protocol.RuntimeMessage):
            return
        if unstarted_parent is None:
            gone = self.registry.dead.get(target) or self.registry.entries.get(target)
            if gone is not None and gone.awaiting_ack:
                unstarted_parent = gone.parent
        handler = self.dead_letter_handler
        if handler not in self.registry.entries:
            handler = None
        address = ActorAddress(target)
        bounce_held(((msg, sender),), unstarted_parent, self.send_msg,
                    lambda undelivered: dead_letter(address, undelivered, handler, self.send_msg, sender))

    def bounce_held(self, parent: Any, held: list[Any]) -> None:
        """Envelopes held for a child of ``parent`` that never started."""
        for env in held:
            self.dead_letter(env, parent)

    def orphan_died(self, actor: Any) -> None:
        """A top-level actor died abruptly: nobody else hears of it, so the
        dead letter handler does (as a dead ChildActorExited)."""
        if self.dead_letter_handler in self.registry.entries:
            addr = ActorAddress(actor)
            self.send_msg(self.dead_letter_handler, DeadEnvelope(addr, ChildActorExited(addr)))

    def forget(self, actor: Any) -> None:
        """``actor`` is gone: it no longer handles dead letters."""
        self.dead_letter_handler = next_dead_letter_handler(self.dead_letter_handler, actor, False)

    def on_dead_letter(self, msg: protocol.DeadLetter, sender: Any) -> None:
        self.dead_letter((msg.target, sender if msg.origin is None else msg.origin, msg.data))

    def on_dead_letter_handler(self, msg: protocol.SetDeadLetterHandler, sender: Any) -> None:
        self.dead_letter_handler = next_dead_letter_handler(self.dead_letter_handler, msg.actor, msg.start)
