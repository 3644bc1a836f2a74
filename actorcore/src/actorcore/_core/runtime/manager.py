"""ActorManager: the loop of one actor process (receive, deliver, flush, wakeups).

What a message does once here is :class:`actorcore._core.delivery.ActorCell`'s;
this module supplies the process: the loop, the transport, the admin.
It talks to its admin and to other actors only through its transport.
Async handlers run on the process's event loop (:mod:`..asyncloop`), made
when the first one runs: from then on the loop is stepped here and its
selector waited on with the transport, so a plain actor pays nothing.
"""
from __future__ import annotations

import itertools
import logging
import os
import signal
import time
import traceback
from collections import deque
from typing import IO, TYPE_CHECKING, Any

from .. import asyncactor, keys, plugins
from ..addresses import ActorAddress
from ..asyncactor import CANCEL_GRACE
from ..asyncloop import driver
from ..capabilities import WATCH_SUPPORTED
from ..context import ActorContext
from ..creation import class_spec, importable_spec, instantiate, resolve_actor_class
from ..delivery import DONE, EXITING, LIVE, ActorCell
from ..errors import InvalidActorAddress, InvalidActorSpecification
from ..messages import (
    ActorExitRequest,
    PoisonMessage,
    Thespian_ActorStatus,
    WakeupMessage,
    WatchMessage,
)
from ..sources import read_source
from ..transport import optional
from . import limits, logfwd, mainclasses, procs, protocol, titles
from .bootdata import ActorBoot
from .protocol import CreateFailure, SourceOp
from .timers import Timers
from .wire import (
    ASK_REPLY,
    ASK_REQUEST,
    UnpicklableMessage,
    ask_parts,
    discard,
    dumps,
    loads,
    oversize,
    sharing,
)

_PARENT_CHECK = 1.0


class ActorManager(ActorCell):
    """Runs one Actor; also the ``_ctx`` its Actor calls into."""

    def __init__(self, transport: Any, boot: ActorBoot) -> None:
        super().__init__(ActorAddress(boot.id), boot.globalName, boot.sourceHash)
        self.transport = transport
        self._size_limit = optional(transport, "limit")
        self._wake_on = optional(transport, "wake_on")
        self._drain_on_exit = optional(transport, "drain_on_exit")
        self.me = boot.id
        self.admin = boot.admin
        self.parent = boot.parent
        self.capabilities = boot.capabilities
        self.admin_pid = boot.admin_pid
        self.start_method = boot.start_method
        self.watch_ok = bool(self.capabilities.get(WATCH_SUPPORTED))
        self.local: deque[tuple[Any, Any]] = deque()  # (msg, sender) delivered before the wire
        self.stash: deque[Any] = deque()  # envelopes read while waiting for a reply
        self.timers = Timers()
        self._child_seq = itertools.count(1)
        self._req_seq = itertools.count(1)
        self._terminate = False
        self._limits = limits.BackPressure.from_env()
        self._aio = driver()
        self._aio.owns_thread = True  # nothing but this loop runs in an actor process's thread
        self._log = logging.getLogger("actorcore.actor")
        self._sharing = sharing(transport, boot.admin, boot.id, boot.clients)

    # -- start ---------------------------------------------------------------
    def start(self, boot: ActorBoot) -> bool:
        """Construct the actor; report to the admin. False if it failed."""
        try:
            cls = self._load_class(boot.spec, boot.sourceZip)
        except ImportError:
            self._admin(protocol.ActorInitFailed(
                actor=self.me, kind=CreateFailure.IMPORT, error=traceback.format_exc()))
            return False
        except Exception:
            self._admin(protocol.ActorInitFailed(
                actor=self.me, kind=CreateFailure.SPEC, error=traceback.format_exc()))
            return False
        self.cls = cls
        try:
            actor = instantiate(cls, self.capabilities, boot.requirements)
        except Exception:
            text = traceback.format_exc()
            logging.getLogger(cls.__name__).error("%s failed in __init__\n%s", class_spec(cls), text)
            self._admin(protocol.ActorInitFailed(actor=self.me, kind=CreateFailure.INIT, error=text))
            return False
        self.attach(actor)
        self._admin(protocol.ActorStarted(actor=self.me, pid=os.getpid()))
        return True

    def _load_class(self, spec: str, sourceZip: bytes | None) -> type:
        if sourceZip is not None:
            unpacked = plugins.hook().actorcore_unpack_source(
                sourceHash=self.sourceHash, sourceZip=sourceZip, sourceInfo=None
            )
            if unpacked is None:
                raise InvalidActorSpecification(spec, "no source plugin installed to unpack it")
            return resolve_actor_class(unpacked.load_class(spec))
        return resolve_actor_class(spec)

    # -- loop ----------------------------------------------------------------
    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_term)
        if hasattr(signal, "SIGUSR1"):
            signal.signal(signal.SIGUSR1, self._on_usr1)
        # A signal must end the wait at once (poll() resumes after a handler
        # that returns): it writes a byte to this pipe, which the wait watches.
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        # Passed as a waitable it would cost a poll per batch of messages:
        # transports that can watch it for good (wake_on) do so.
        wake_on = self._wake_on
        if wake_on is not None:
            wake_on(wake_r)
        woken = [] if wake_on is not None else [wake_r]
        next_check = time.monotonic() + _PARENT_CHECK
        receive = self.transport.receive
        aio = self._aio
        io = False  # the event loop's selector was seen ready
        with_loop: list[Any] | None = None  # ``woken`` and the event loop's fd
        while self.state != DONE:
            if self._terminate:  # SIGTERM: exit now; nothing waiting is handled
                self._terminate = False
                if self.state == LIVE:
                    self._exit_request(ActorExitRequest(), self.address)
                elif self.state == EXITING:
                    # already exiting, waiting for children that do not answer (the
                    # admin's shutdown grace ran out): they are left as orphans
                    self._finish()
                continue
            if self.timers.pending:
                # Wakeups due go before the next message read: they fell due first (an
                # actor kept busy past its wakeup sees it before what came meanwhile).
                # No loop back: a wakeup that re-arms itself must not starve the inbox.
                self.wake(self.timers.due())
                if self.state == DONE:
                    break
            if self.local:
                msg, sender = self.local.popleft()
                self.deliver(msg, sender)
                continue
            if self.stash:
                self._handle(self.stash.popleft())
                continue
            timeout = self.timers.next_timeout(_PARENT_CHECK)
            waitables = [*self.watch, *woken] if self.watch else woken
            loop_fd = None
            loop = aio.loop
            if loop is not None:  # async handlers have run here: step their loop
                left = loop.step(io)
                io = False
                if self.local or self.state == DONE:
                    continue
                if left is not None and left < timeout:
                    timeout = left
                loop_fd = aio.fileno()
                if loop_fd is not None:
                    if waitables is woken:  # the common case: the same list every time
                        if with_loop is None or with_loop[-1] != loop_fd:
                            with_loop = [*woken, loop_fd]
                        waitables = with_loop
                    else:
                        waitables = [*waitables, loop_fd]
            envs, ready = receive(timeout, waitables)
            if ready:
                if wake_r in ready:
                    _empty(wake_r)
                if loop_fd is not None and loop_fd in ready:
                    io = True
            if self._terminate:
                self.stash.extend(envs)  # handed back as dead letters once the actor is done
                continue
            for i, env in enumerate(envs):
                if self.timers.pending:
                    self.wake(self.timers.due())
                    if self.state == DONE:
                        self._return_unread(envs[i:])
                        break
                self._handle(env)
                if self.state == DONE:
                    self._return_unread(envs[i + 1 :])
                    break
            if ready and self.watch and self.state == LIVE:
                fds = [fd for fd in ready if fd in self.watch]  # not the wake pipe, nor a transport's own
                if fds:
                    self.deliver(WatchMessage(fds), self.address)
            now = time.monotonic()
            if now >= next_check:
                next_check = now + _PARENT_CHECK
                if os.getppid() != self.admin_pid:  # the admin is gone: so are we
                    self._log.warning("admin process is gone; %s exits", self.address)
                    return
        if aio.loop is not None:
            aio.close(CANCEL_GRACE)  # what a handler left running gets cancelled, and its clean-up
        signal.set_wakeup_fd(-1)
        self._return_unread(list(self.stash))
        if self._drain_on_exit:
            self._drain(wake_r)
        # closed only now: a transport that watches it (wake_on) would find a
        # closed descriptor always ready, and the drain's wait would spin
        os.close(wake_r)
        os.close(wake_w)

    def _drain(self, wake_r: int) -> None:
        """After ActorExiting: hand back, as dead letters, every message that
        was already on its way here, until the admin says it has seen the
        exit (nothing it forwarded is then still in flight). For transports
        that lose what a closed process had not read (``drain_on_exit``);
        others give the admin what was never read (``forget_child``).
        ``wake_r``: the signal wake-up pipe, which a late signal may have
        left readable (it would end every wait at once)."""
        deadline = time.monotonic() + limits.EXIT_DRAIN_LIMIT
        receive = self.transport.receive
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or optional(self.transport, "admin_lost") \
                    or os.getppid() != self.admin_pid:
                return
            envs, ready = receive(min(left, 0.2), ())
            if wake_r in ready:
                _empty(wake_r)
            for i, env in enumerate(envs):
                if env[1] == self.admin and _is_exit_noted(env[2]):
                    self._return_unread(envs[i + 1:])  # direct ones that came with it
                    return
                self._return_unread([env])

    def _return_unread(self, envs: list[Any]) -> None:
        for target, sender, data in envs:
            self._admin(protocol.DeadLetter(target=target, data=data, origin=sender))

    def _on_term(self, signum: int, frame: Any) -> None:
        self._terminate = True

    def _on_usr1(self, signum: int, frame: Any) -> None:
        plugins.internal_log(logging.WARNING, f"status: {self._status()!r}")

    def _handle(self, env: Any) -> None:
        _target, sender, data = env
        if data and (data[0] == ASK_REPLY or data[0] == ASK_REQUEST):
            # an ask's frame goes to its rules in parts: making the request
            # or reply object, and delivering it only to have it taken apart
            # again, was a tenth of an await's round trip on each side
            try:
                kind, token, msg = ask_parts(data)
            except Exception as exc:
                self._log.error("%s could not unpickle a message from %s: %s", self.address, sender, exc)
                return
            if kind == ASK_REPLY:
                asyncactor.answered(self, token, msg, None, ActorAddress(sender))
            else:
                asyncactor.asked(self, token, msg, (), ActorAddress(sender))
            return
        try:
            msg = loads(data)
        except Exception as exc:
            self._log.error("%s could not unpickle a message from %s: %s", self.address, sender, exc)
            return
        if isinstance(msg, protocol.RuntimeMessage):
            if isinstance(msg, protocol.ChildFailed):
                self._admin(protocol.ChildFailedAck(child=msg.child))
            else:
                self._log.debug("stray runtime message %r", msg)
            return
        self.deliver(msg, ActorAddress(sender))

    # -- the runtime part of the delivery rules ----------------------------------
    def _reply(self, target: ActorAddress, msg: Any) -> None:
        if target == self.address:
            self.local.append((msg, target))
        else:
            sent = self.sent
            self.send(target, msg)
            self.sent = sent  # the runtime's messages (a status, a poison) are not the actor's

    def _post(self, msg: Any, sender: ActorAddress) -> None:
        self.local.append((msg, sender))

    def _finish(self) -> None:
        self._admin(protocol.ActorExiting(actor=self.me, orphan_children=bool(self.children)))
        self.state = DONE

    def _add_wakeup(self, seconds: float, wakeup: WakeupMessage) -> None:
        self.timers.add(seconds, wakeup)

    def _status(self) -> Thespian_ActorStatus:
        return self.status_report(
            ActorAddress(self.admin), ActorAddress(self.parent or self.admin),
            len(self.local) + len(self.stash), len(self.timers),
            pid=os.getpid(), backlog=self.transport.backlog(),
        )

    # -- the calls an Actor makes --------------------------------------------
    def _admin(self, msg: Any) -> None:
        self.transport.send(self.admin, (self.admin, self.me, dumps(msg)))

    def send(self, targetAddr: ActorAddress, msg: Any) -> None:
        if targetAddr.__class__ is not ActorAddress and not isinstance(targetAddr, ActorAddress):
            raise InvalidActorAddress(targetAddr, "send needs an ActorAddress as target")
        try:
            target = targetAddr.addressDetails
            data = dumps(msg, self._sharing, target)
        except UnpicklableMessage as exc:
            self._log.error("%s cannot send %r: %s", self.address, msg, exc)
            self.local.append((PoisonMessage(msg, f"message cannot be pickled: {exc}"), self.address))
            return
        transport = self.transport
        too_big = oversize(data, target, self.me, self._size_limit)
        if too_big is not None:
            self._log.error("%s cannot send to %s: %s", self.address, targetAddr, too_big)
            self.local.append((PoisonMessage(msg, too_big), self.address))
            return
        if transport.backlog() >= self._limits.block_at:
            if not self._limits.wait_below(transport):
                self._log.error("%s: transmit to %s dropped: outbound queue full", self.address, targetAddr)
                discard(data)
                return
        self.sent += 1
        transport.send(target, (target, self.me, data))

    def createActor(
        self, actorClass: Any, requirements: Any, globalName: str | None, sourceHash: str | None
    ) -> ActorAddress:
        if self._never_starts(globalName):
            return self._unstarted()
        try:
            spec = self._spec(actorClass)
        except (InvalidActorSpecification, ImportError) as exc:
            self._actor_log().error("createActor(%r) failed: %s", actorClass, exc)
            return self._failed_child(self._unstarted(), ActorAddress(self.admin))
        if globalName is not None:
            return self._create_named(spec, requirements, globalName, sourceHash)
        child = f"{self.me}.{next(self._child_seq)}"
        self.children[child] = None
        self._admin(protocol.CreateActor(
            req_id=0, new_id=child, parent=self.me, spec=spec, requirements=requirements,
            globalName=None, sourceHash=sourceHash or self.sourceHash, reply_to=None,
        ))
        return ActorAddress(child)

    def _spec(self, actorClass: Any) -> str:
        if isinstance(actorClass, str):
            return actorClass
        cls = resolve_actor_class(actorClass)
        if mainclasses.defined_in_main(cls):
            why = mainclasses.refusal_in_actor(cls, self.start_method)
            if why is not None:
                raise InvalidActorSpecification(actorClass, why)
        return importable_spec(cls)

    def _unstarted(self) -> ActorAddress:
        return ActorAddress(f"{self.me}.x{next(self._child_seq)}")

    def _create_named(
        self, spec: str, requirements: Any, globalName: str, sourceHash: str | None
    ) -> ActorAddress:
        """Named creates ask the admin and wait: the name may already be taken."""
        req = next(self._req_seq)
        child = f"{self.me}.{next(self._child_seq)}"
        self._admin(protocol.CreateActor(
            req_id=req, new_id=child, parent=self.me, spec=spec, requirements=requirements,
            globalName=globalName, sourceHash=sourceHash or self.sourceHash, reply_to=self.me,
        ))
        reply = self._await_reply(req, limits.CREATE_LIMIT)
        if reply is None or reply.error_kind is not None:
            self._actor_log().error(
                "createActor(%s, globalName=%r) failed: %s", spec, globalName,
                "no answer from the admin" if reply is None else reply.error,
            )
            return self._failed_child(self._unstarted(), ActorAddress(self.admin))
        return ActorAddress(reply.actor)

    def _await_reply(self, req: int, limit: float) -> Any:
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            envs, _ = self.transport.receive(min(left, _PARENT_CHECK))
            for i, env in enumerate(envs):
                try:
                    msg = loads(env[2])
                except Exception:
                    msg = None
                if isinstance(msg, (protocol.Created, protocol.Reply)) and msg.req_id == req:
                    self.stash.extend(envs[i + 1 :])
                    return msg
                self.stash.append(env)
            if os.getppid() != self.admin_pid:
                return None

    def handleDeadLetters(self, start: bool) -> None:
        self._admin(protocol.SetDeadLetterHandler(actor=self.me, start=start))

    def notifyOnSystemRegistrationChanges(self, start: bool) -> None:
        self._admin(protocol.RegistrationWatch(actor=self.me, start=start))

    def registerSourceAuthority(self) -> None:
        # Wait for the admin's answer: once this returns, loads (from anyone) reach
        # this authority, so an actor can register and then reply "ready" safely.
        req = next(self._req_seq)
        self._admin(protocol.SourceRequest(
            req_id=req, op=SourceOp.AUTHORITY, sender=self.me, reply_to=self.me))
        if self._await_reply(req, limits.SOURCE_LIMIT) is None:
            self._log.error("%s: registerSourceAuthority got no answer from the admin", self.address)

    def loadActorSource(self, fname: str | IO[bytes]) -> str:
        from ..sources import source_hash

        data, info = read_source(fname)
        self._admin(protocol.SourceRequest(
            req_id=0, op=SourceOp.LOAD, sender=self.me, data=data, info=info))
        return source_hash(data)

    def unloadActorSource(self, sourceHash: str) -> None:
        self._admin(protocol.SourceRequest(
            req_id=0, op=SourceOp.UNLOAD, sender=self.me, sourceHash=sourceHash))

    def notifyOnSourceAvailability(self, enable: bool) -> None:
        op = SourceOp.WATCH if enable else SourceOp.UNWATCH
        self._admin(protocol.SourceRequest(req_id=0, op=op, sender=self.me))

    def updateCapability(self, name: str, value: Any = None) -> None:
        self._admin(protocol.UpdateCapability(req_id=0, name=name, value=value, reply_to=None))

    def preRegisterRemoteSystem(self, remoteAddress: Any, remoteCapabilities: Any) -> None:
        caps = dict(remoteCapabilities) if isinstance(remoteCapabilities, dict) else {}
        self._admin(protocol.PreRegister(where=remoteAddress, capabilities=caps))

    def deRegisterRemoteSystem(self, remoteAddress: Any) -> None:
        if isinstance(remoteAddress, ActorAddress):
            remoteAddress = remoteAddress.addressDetails
        self._admin(protocol.DeRegister(remote=remoteAddress))

    def actorSystemShutdown(self) -> None:
        self._admin(protocol.SystemShutdownRequest(sender=self.me))



if TYPE_CHECKING:
    _is_a_context: type[ActorContext] = ActorManager  # mypy proves every call an Actor makes is here


def _empty(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except OSError:  # BlockingIOError: nothing more
        pass


def _is_exit_noted(data: bytes) -> bool:
    try:
        return isinstance(loads(data), protocol.ExitNoted)
    except Exception:
        return False


def actor_main(link: Any, boot: ActorBoot) -> None:
    """Entry point of an actor process."""
    keys.scrub_environment()
    titles.set_title(titles.actor_title(boot.spec, ActorAddress(boot.id)))
    procs.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the user's process
    transport = link.open()
    manager = ActorManager(transport, boot)
    admin = boot.admin
    me = boot.id

    def forward(record: dict[str, Any]) -> None:
        transport.send(admin, (admin, me, dumps(protocol.LogRecordMsg(record=record))))

    logfwd.install(forward, boot.log_threshold, str(manager.address))
    try:
        if manager.start(boot):
            manager.run()
    except BaseException:  # report, then let the admin see the process end
        plugins.internal_log(logging.ERROR, f"actor {me} crashed: {traceback.format_exc()}")
    finally:
        transport.close()
