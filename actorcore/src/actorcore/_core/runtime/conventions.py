"""Conventions (docs/api.md §6.5): systems on several hosts joined under a leader.

Transport-independent: it runs inside the admin of any base whose admin
transport is a ``PeerTransport`` (TCP, UDP) and speaks to other admins with
the runtime messages in :mod:`.protocol`. Everything between systems goes
admin to admin, so only admin ports need to be reachable (which is what
``Admin Routing`` asks for); traffic inside a system still goes direct.

Who knows whom: a member knows its leader(s); a leader knows its members and
hands them a directory (system id -> address) so members can reach each other
without a detour (a member dropped from it is gone for the others too).
Watchers hear about the peers their own admin knows. The leader also keeps
the convention's global names (:mod:`.convnames`).
"""
from __future__ import annotations

import logging
import time
from typing import Any

import attrs

from ..addresses import ActorAddress
from ..capabilities import actor_accepts
from ..transport import PeerEvent, PeerFailure, PeerTransport, system_of
from . import convnames, mainclasses, protocol
from .convhost import ConventionHost, Handler, Status
from .convmail import PeerMail
from .convpeers import Peer, Timing, Watchers, well_formed
from .hostports import CONVENTION_KEY, hostport_text, leader_addresses, same_place
from .wire import dumps

_log = logging.getLogger("actorcore.convention")


class Convention:
    """The convention state of one admin, driven by the admin's loop."""

    def __init__(self, host: ConventionHost, transport: PeerTransport) -> None:
        self.host = host
        self.t = transport
        self.me: str = host.me
        self.timing = Timing.from_env()
        caps = host.capabilities
        own_port = caps.get("Admin Port", 0)
        # an Outbound Only admin advertises no address, but still has one
        own = self.t.listen_address or f"{getattr(self.t, 'host', '127.0.0.1')}:{own_port}"
        wheres = leader_addresses(caps.get(CONVENTION_KEY), own_port)
        # pointing at ourselves makes us the leader others point at, not a member
        self.leader_wheres = [w for w in wheres if not (own and same_place(w, own))]
        self.peers: dict[str, Peer] = {}
        self.pre: dict[str, Peer] = {}  # pre-registered, by address, until they answer
        self.by_where: dict[str, str] = {}  # address we connected to -> sysid
        self.directory: dict[str, str] = {}  # other members, from the leader
        self.directory_from = ""  # the leader that sent it
        self.mail = PeerMail(self.me, transport, host, self._where_is, self._leader_id)
        self.send = self.mail.send  # every envelope for another system: no extra call
        self.watchers = Watchers(host)
        self.next_register: dict[str, float] = {}
        self.next_invite: dict[str, float] = {}
        self.invite_period: dict[str, float] = {}
        self.placing = 0
        self.leaving = False
        self.failed_logged: set[str] = set()
        self.names = convnames.ConventionNames(host, self)

    def handlers(self) -> dict[type, Handler]:
        """The admin hands these their messages (from peers, and from its own actors)."""
        return {
            protocol.ConventionRegister: self.on_register,
            protocol.ConventionWelcome: self.on_welcome,
            protocol.ConventionLeave: self.on_leave,
            protocol.ConventionInvite: self.on_invite,
            protocol.RegistrationWatch: self.on_watch,
            protocol.PreRegister: self.on_pre_register,
            protocol.DeRegister: self.on_de_register,
            **dict.fromkeys((protocol.NameAsk, protocol.NameAnswer, protocol.NameBound,
                             protocol.NameReleased), self.names.on_message),
        }

    # -- who leads -------------------------------------------------------------
    @property
    def is_member(self) -> bool:
        return bool(self.leader_wheres) or any(p.leads_me for p in self.peers.values())

    def leader(self) -> Peer | None:
        """The first live leader in priority order."""
        for where in self.leader_wheres:
            peer = self.peers.get(self.by_where.get(where, ""))
            if peer is not None and peer.announced:
                return peer
        for peer in self.peers.values():
            if peer.leads_me and peer.announced:
                return peer
        return None

    # -- the admin's loop ------------------------------------------------------
    def start(self) -> None:
        now = time.monotonic()
        for where in self.leader_wheres:
            self.next_register[where] = now
            self.t.peer_connect(where)

    def tick(self, now: float) -> None:
        self.names.tick(now)
        if self.leaving:
            return
        for where in self.leader_wheres:
            if now < self.next_register.get(where, 0.0):
                continue
            self.next_register[where] = now + self.timing.reregister
            sysid = self.by_where.get(where)
            if sysid is None or not self.send_admin(sysid, self._registration()):
                self.t.peer_connect(where)
        for peer in list(self.peers.values()):  # leaders that cannot be connected to
            if peer.leads_me and not peer.where and now >= self.next_register.get(peer.sysid, 0.0):
                self.next_register[peer.sysid] = now + self.timing.reregister
                self.send_admin(peer.sysid, self._registration())
        for where in list(self.pre):
            if now >= self.next_invite.get(where, 0.0):
                period = self.invite_period.get(where, self.timing.restart)
                self.next_invite[where] = now + period
                self.invite_period[where] = period * 1.1
                self.t.peer_connect(where)
                sysid = self.by_where.get(where)
                if sysid is not None:
                    self.send_admin(sysid, self._invitation())
        limit = self.timing.silence_limit
        for peer in list(self.peers.values()):
            if peer.announced and now - peer.last_seen > limit:
                self._gone(peer, f"missed {self.timing.miss_max} check-ins")

    def next_due(self) -> float:
        """Seconds until :meth:`tick` has something to do (bounds the admin's wait)."""
        return min(1.0, self.timing.reregister / 4)

    def on_event(self, env: Any) -> None:
        _, op, data = env
        text = data.decode("utf-8", "replace")
        if op == PeerEvent.UP:
            sysid, listen, where = (text.split("\n") + ["", ""])[:3]
            self._peer_up(sysid, listen, where)
        elif op == PeerEvent.DOWN:
            self._peer_down(text)
        elif op == PeerEvent.FAILED:
            where, _, why = text.partition("\n")
            self._peer_failed(where, why)

    def _peer_up(self, sysid: str, listen: str, where: str) -> None:
        self.failed_logged.discard(where)
        peer = self.peers.get(sysid)
        if peer is not None:
            peer.listen = listen or peer.listen
        if where:
            self.by_where[where] = sysid
            if peer is not None:
                peer.where = where
        if where in self.leader_wheres:
            self.send_admin(sysid, self._registration())
        if where in self.pre:
            self.send_admin(sysid, self._invitation())
        self.mail.connected(sysid)

    def _peer_down(self, sysid: str) -> None:
        peer = self.peers.get(sysid)
        if peer is None or not peer.announced:
            return
        again = peer.where or peer.listen
        if again:  # is it gone, or only the connection? A refused connect says gone.
            self.t.peer_connect(again)

    def _peer_failed(self, where: str, why: str) -> None:
        for peer in list(self.peers.values()):
            if peer.announced and where in (peer.where, peer.listen) and why.startswith(PeerFailure.REFUSED):
                self._gone(peer, f"its admin at {where} no longer listens")
        for sysid, listen in list(self.directory.items()):
            if listen == where:
                self.mail.reroute(sysid)
        if where not in self.failed_logged:
            self.failed_logged.add(where)
            level = logging.WARNING if where in self.leader_wheres else logging.INFO
            _log.log(level, "convention: cannot reach the admin at %s (%s); will retry", where, why)

    # -- registration ----------------------------------------------------------
    def _registration(self) -> protocol.ConventionRegister:
        return protocol.ConventionRegister(
            sysid=self.me, listen=self.t.listen_address, capabilities=dict(self.host.capabilities))

    def _invitation(self) -> protocol.ConventionInvite:
        return protocol.ConventionInvite(sysid=self.me, listen=self.t.listen_address)

    def on_register(self, msg: protocol.ConventionRegister, sender: Any) -> None:
        """A member checks in (we lead it)."""
        if self.leaving or not well_formed(msg, sender):
            return
        peer = self._peer(msg.sysid, msg.listen)
        self._replaced_by(peer)
        peer.member = True
        changed = peer.capabilities != msg.capabilities
        peer.capabilities = dict(msg.capabilities)
        pre = next((w for w, p in self.pre.items() if same_place(w, msg.listen or "-")), None)
        if pre is not None:
            peer.pre = pre
            del self.pre[pre]
        new = not peer.announced
        self._seen(peer)
        self.send_admin(msg.sysid, self._welcome(self._members(), fresh=new))
        if new or changed:
            self._publish_directory(skip=msg.sysid if not new else None)

    def on_welcome(self, msg: protocol.ConventionWelcome, sender: Any) -> None:
        """Our leader answered our registration."""
        if not well_formed(msg, sender) or not isinstance(msg.members, dict):
            return
        peer = self._peer(msg.sysid, msg.listen)
        self._replaced_by(peer)
        peer.leads_me = True
        peer.capabilities = dict(msg.capabilities)
        members = {k: v for k, v in msg.members.items() if k != self.me}
        if self.directory_from == msg.sysid:
            for sysid in set(self.directory) - set(members):
                known = self.peers.get(sysid)
                if known is None or not known.announced:  # a peer of our own is ours to declare gone
                    # the leader lost it: what it hosted for us went with it
                    self.host.remote_system_gone(sysid)
        self.directory, self.directory_from = members, msg.sysid
        self._seen(peer)
        if getattr(msg, "fresh", False):  # (a peer of an older release sends none)
            self.names.claim(msg.sysid)

    def on_leave(self, msg: protocol.ConventionLeave, sender: Any) -> None:
        peer = self.peers.get(msg.sysid)
        if peer is not None:
            self._gone(peer, "it left the convention")

    def on_invite(self, msg: protocol.ConventionInvite, sender: Any) -> None:
        """Someone pre-registered us: it leads us from now on."""
        if self.leaving:
            return
        if not msg.listen:  # an Outbound Only leader: answer over the connection it opened
            self._peer(msg.sysid, "").leads_me = True
            self.next_register[msg.sysid] = time.monotonic() + self.timing.reregister
            self.send_admin(msg.sysid, self._registration())
            return
        if msg.listen not in self.leader_wheres:
            _log.info("convention: %s at %s invited this system; registering with it", msg.sysid, msg.listen)
            self.leader_wheres.append(msg.listen)
        self.by_where[msg.listen] = msg.sysid
        self.next_register[msg.listen] = time.monotonic() + self.timing.reregister
        self.send_admin(msg.sysid, self._registration())

    def _peer(self, sysid: str, listen: str) -> Peer:
        peer = self.peers.get(sysid)
        if peer is None:
            peer = self.peers[sysid] = Peer(sysid, listen=listen, joined=time.time())
            for where, known in self.by_where.items():
                if known == sysid:
                    peer.where = where
        elif listen:
            peer.listen = listen
        return peer

    def _replaced_by(self, peer: Peer) -> None:
        """A system now listens where another did (restarted on its port before it
        was missed): the old one is gone now, not after its check-ins lapse."""
        if not peer.listen:
            return
        for old in list(self.peers.values()):
            if old is not peer and old.announced and old.listen == peer.listen:
                self._gone(old, f"{peer.sysid} listens at its address now")
                self.peers.pop(old.sysid, None)  # a leader's entry too: the new one leads

    def _seen(self, peer: Peer) -> None:
        peer.last_seen = time.monotonic()
        if not peer.announced:
            peer.announced = True
            peer.joined = time.time()
            _log.info("convention: %s (%s) joined", peer.sysid, peer.listen or "outbound only")
            self.watchers.tell(peer, True)

    def _welcome(self, members: dict[str, str], fresh: bool = False) -> protocol.ConventionWelcome:
        return protocol.ConventionWelcome(sysid=self.me, listen=self.t.listen_address,
                                          capabilities=dict(self.host.capabilities),
                                          members=members, fresh=fresh)

    def _members(self) -> dict[str, str]:
        return {p.sysid: p.listen for p in self.peers.values() if p.member and p.announced}

    def _publish_directory(self, skip: str | None = None) -> None:
        members = self._members()
        note = self._welcome(members)
        for sysid in members:
            if sysid != skip:
                self.send_admin(sysid, note)

    def _gone(self, peer: Peer, why: str) -> None:
        """A peer is declared gone: watchers told, actors placed there reported exited."""
        if not peer.announced:
            return
        _log.warning("convention: %s (%s) is gone: %s", peer.sysid, peer.listen or "outbound only", why)
        peer.announced = False
        was_member = peer.member
        peer.member = False
        self.watchers.tell(peer, False)
        self.mail.drop(peer.sysid)  # never sent: what actors sent becomes dead letters
        self.host.remote_system_gone(peer.sysid)
        self.names.system_gone(peer.sysid)
        if peer.pre:
            self.pre[peer.pre] = peer  # pre-registered: keep inviting it
        if not peer.leads_me:
            self.peers.pop(peer.sysid, None)
        # a transport may key its links by address: closing the old system's
        # would cut the new one that listens there now
        if not any(o is not peer and peer.listen and o.listen == peer.listen for o in self.peers.values()):
            self.t.peer_close(peer.sysid)
        if was_member:
            self._publish_directory()

    def capabilities_changed(self) -> None:
        """Re-announce at once: to our leaders as a registration, to our members as a welcome."""
        leaders = {self.by_where.get(w) for w in self.leader_wheres}
        leaders |= {p.sysid for p in self.peers.values() if p.leads_me}
        for sysid in leaders - {None}:
            self.send_admin(sysid, self._registration())  # type: ignore[arg-type]
        if any(p.member for p in self.peers.values()):
            self._publish_directory()

    # -- pre-registration ----------------------------------------------------
    def on_pre_register(self, msg: protocol.PreRegister, sender: Any) -> None:
        try:
            text = hostport_text(msg.where, self.host.capabilities.get("Admin Port", 0))
        except ValueError as exc:
            _log.warning("preRegisterRemoteSystem ignored: %s", exc)
            return
        known = next((p for p in self.peers.values() if same_place(text, p.listen or "-")), None)
        if known is not None:
            known.pre = text
            return
        caps = dict(msg.capabilities) if isinstance(msg.capabilities, dict) else {}
        self.pre[text] = Peer("", listen=text, capabilities=caps, pre=text)
        self.next_invite[text] = 0.0
        self.invite_period[text] = self.timing.restart
        self.t.peer_connect(text)

    def on_de_register(self, msg: protocol.DeRegister, sender: Any) -> None:
        remote: Any = msg.remote
        if isinstance(remote, ActorAddress):
            remote = remote.addressDetails
        if not isinstance(remote, str):
            _log.warning("deRegisterRemoteSystem ignored: %r is not an address", remote)
            return
        peer: Peer | None = self.peers.get(system_of(remote))
        if peer is None:
            try:
                text = hostport_text(remote, self.host.capabilities.get("Admin Port", 0))
            except ValueError:
                return
            self.pre.pop(text, None)
            peer = next((p for p in self.peers.values()
                         if text in (p.listen, p.where, p.pre)), None)
        if peer is None:
            return
        if peer.pre:
            self.pre.pop(peer.pre, None)
            peer.pre = ""
        self.send_admin(peer.sysid, protocol.ConventionLeave(sysid=self.me))
        peer.leads_me = False
        self._gone(peer, "deregistered")
        self.peers.pop(peer.sysid, None)

    # -- watchers --------------------------------------------------------------
    def on_watch(self, msg: protocol.RegistrationWatch, sender: Any) -> None:
        self.watchers.watch(msg.actor, msg.start, [p for p in self.peers.values() if p.announced])

    def forget_actor(self, actor: Any) -> None:
        self.watchers.forget(actor)

    # -- traffic to other systems ------------------------------------------------
    def send_admin(self, sysid: str, msg: Any) -> bool:
        """Send a message from this admin to the admin ``sysid``; False when no way there is known."""
        return self.send(sysid, (sysid, self.me, dumps(msg)))

    def knows(self, sysid: str) -> bool:
        """Whether ``sysid`` is, or was, a system of this convention."""
        return sysid in self.peers or sysid in self.directory

    def _where_is(self, sysid: str) -> str:
        """Where ``sysid`` listens, as far as this admin knows ("" if nowhere)."""
        peer = self.peers.get(sysid)
        return (peer.listen or peer.where) if peer is not None else self.directory.get(sysid, "")

    def _leader_id(self) -> str | None:
        leader = self.leader()
        return leader.sysid if leader is not None else None

    # -- placement -------------------------------------------------------------
    def place(self, req: protocol.CreateActor, cls: Any) -> tuple[str, protocol.CreateActor] | None:
        """Where to forward a create this system cannot host: a live peer whose
        last-announced capabilities pass (the one given fewest so far), else our
        leader; None when every candidate was tried. Returns the target system
        and the request to send it (origin and key filled in by the first system)."""
        if req.spec.startswith(mainclasses.MAIN + "."):
            return None  # a script's own class exists only in the systems forked from that script
        tried = set(req.tried) | {self.me}
        fit = [p for p in self.peers.values()
               if p.announced and p.sysid not in tried
               and actor_accepts(cls, p.capabilities, req.requirements)]
        target: Peer | None
        if fit:
            target = min(fit, key=lambda p: p.placed)
        else:
            target = self.leader()
            if target is None or target.sysid in tried:
                return None
        target.placed += 1
        # the name travels along: the host gives it to the actor, and gives it back when it exits
        forwarded = attrs.evolve(req, tried=tuple(sorted(tried)), reply_to=None)
        if forwarded.origin is None:
            self.placing += 1
            forwarded.origin = self.me
            forwarded.place_key = f"{self.me}#{self.placing}"
        return target.sysid, forwarded

    def unplaced_note(self, req: protocol.CreateActor) -> str:
        if req.spec.startswith(mainclasses.MAIN + "."):
            return " (defined in __main__, so never placed on another system of the convention)"
        return ""

    def is_leader(self, sysid: str) -> bool:
        peer = self.peers.get(sysid)
        return peer is not None and peer.leads_me

    def log_to_leader(self, record: dict[str, Any]) -> None:
        """docs/api.md §7.2: warnings and worse also go to the leader's log."""
        leader = self.leader()
        if leader is not None:
            record = dict(record, actorSystem=self.me)
            self.send_admin(leader.sysid, protocol.LogRecordMsg(record=record, from_member=True))

    # -- shutdown and status ---------------------------------------------------
    def leave(self) -> None:
        """This system is shutting down: say goodbye to everyone we know."""
        self.leaving = True
        self.names.leave()
        for peer in list(self.peers.values()):
            if peer.announced or peer.pre:
                self.send_admin(peer.sysid, protocol.ConventionLeave(sysid=self.me))

    def status(self) -> Status:
        leader = self.leader()
        now = time.monotonic()
        attendees = [(ActorAddress(p.sysid), round(self.timing.silence_limit - (now - p.last_seen), 1))
                     for p in self.peers.values() if p.announced]
        joined = leader.joined if leader is not None else None
        return (ActorAddress(leader.sysid) if leader is not None else None), attendees, joined

    def peer_table(self) -> list[dict[str, Any]]:
        """Live peers, with the capabilities each last announced."""
        return [
            {"address": ActorAddress(p.sysid), "capabilities": dict(p.capabilities),
             "role": "member" if p.member else "leader" if p.leads_me else "peer",
             "listen": p.listen, "joined": p.joined}
            for p in self.peers.values() if p.announced
        ]


def enabled(transport: Any) -> bool:
    """Whether ``transport`` reaches other systems' admins (a ``PeerTransport``)."""
    return isinstance(transport, PeerTransport)
