"""Queue transport: each process talks only to the admin, over a pair of one-way
multiprocessing pipes (:mod:`.channel`); the admin forwards (a star), since
pipes can only be handed to a process when it starts.

Address details are plain strings, unique per system: ``q<token>a`` the
admin, ``q<token>c<n>`` endpoints of the creating process, ``q<token>a/<n>``
actors (children append ``.<n>`` to their parent's).
"""
from __future__ import annotations

import os
import resource
import shutil
import tempfile
from typing import Any, Sequence

import attrs

from actorcore.plugin import Outbox, Poller

from .channel import Channel
from .direct import CONTROL, SWITCHED, DirectPaths, process_key

#: In a process forked from the admin: the admin's transport, whose other
#: pipes the child must close (else every actor holds every pipe open).
_forked_admin: AdminQueueTransport | None = None


class _Endpoint:
    """What the client and actor transports share: one link to the admin
    (``link_out``/``link_in``) plus direct pipes the admin sets up."""

    address: str
    link_out: Channel
    link_in: Channel
    poller: Poller
    one_at_a_time = False
    #: every process of a queue system is on this host (docs/big-messages.md)
    shared_memory = True

    def wake_on(self, fd: int) -> None:
        """End any wait when ``fd`` is readable (it is then among the ready
        waitables); unlike a waitable, it costs nothing while envelopes flow."""
        self.poller.add(fd)

    def _init_direct(self) -> None:
        self.direct = DirectPaths(self.address, self._readable, self._gone)
        self._inputs: dict[int, Channel] = {self.link_in.rfd: self.link_in}

    def _readable(self, ch: Channel) -> None:
        self._inputs[ch.rfd] = ch
        self.poller.add(ch.rfd)

    def _gone(self, ch: Channel) -> None:
        self._inputs.pop(ch.rfd, None)
        self.poller.discard(ch.rfd)

    def send(self, target: Any, envelope: Any) -> None:
        ch, opened = self.direct.channel_for(target)
        if ch is None:
            self.link_out.put(envelope)
            return
        if opened:  # everything sent through the admin so far goes before this marker
            self.link_out.put((target, self.address, SWITCHED))
        try:
            ch.put(envelope)
        except OSError:  # the target's process is gone: the admin dead-letters the rest
            for env in self.direct.broken(target):
                self.link_out.put(env)
            self.link_out.put(envelope)

    def _take(self, ch: Channel) -> list[Any]:
        envs = ch.read_one() if self.one_at_a_time else ch.read_ready()
        if not envs and ch.eof and ch is not self.link_in:
            self.direct.closed_inbound(ch)
            return []
        out = []
        for env in envs:
            target, sender, data = env
            if target == CONTROL:
                if sender == "direct-gone":  # stop writing to a dead reader's pipe
                    peer = data.decode().partition("\n")[0]
                    gone = self.direct.out.get(process_key(peer))
                    if gone is not None:
                        gone.flush(2.0)  # the admin reads it on, and dead-letters it
                    for env in self.direct.broken(peer):
                        self.link_out.put(env)  # only if the admin stopped reading
                    continue
                answer = self.direct.control(sender, data)
                if answer is not None:
                    self.link_out.put((CONTROL, "direct-ready", answer))
            elif data == SWITCHED:
                self.direct.switched(sender)
            else:
                out.append(env)
        return out

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        poller = self.poller
        poller.set_extra(waitables)
        inputs = self._inputs
        # nothing waits in our buffers: read_one never reads past a frame, and
        # read_ready takes every complete frame; so poll alone says what is ready
        while True:
            ready = poller.wait(timeout)
            if not ready:
                return [], []
            others = [fd for fd in ready if fd not in inputs]
            envs = []
            for fd in ready:
                ch = inputs.get(fd)
                if ch is not None:
                    envs.extend(self._take(ch))
                    if envs and self.one_at_a_time:
                        break
            if envs or others or self.link_in.eof:  # at EOF the admin is gone: let the caller see
                return envs, others
            timeout = 0 if timeout is not None else None  # only control frames: look again

    def backlog(self) -> int:
        # per send: a sum over every direct pipe cost a parent of 100 children a quarter of its time
        return self.link_out.backlog() + Outbox.waiting_in(self.direct.backlogged)


class ClientQueueTransport(_Endpoint):
    """The creating process's side."""

    def __init__(self, ctx: Any) -> None:
        token = os.urandom(4).hex()
        self.admin_address = f"q{token}a"
        self.client_prefix = f"q{token}c"
        self.address = self.client_prefix
        self.method = ctx.get_start_method()
        self.to_admin = Channel()
        self.from_admin = Channel()
        # named pipes for direct links; made here so that this process can remove
        # them even if the admin is killed
        self.fifo_dir = tempfile.mkdtemp(prefix="actorcore-q-")
        self._opened = False

    def admin_link(self) -> AdminLink:
        return AdminLink(
            self.method, self.to_admin, self.from_admin, self.admin_address, self.client_prefix,
            self.fifo_dir,
        )

    def _open(self) -> None:
        # called once the admin process exists: keep only our ends
        self.link_out = self.to_admin.writing()
        self.link_in = self.from_admin.reading()
        self.poller = Poller()
        self.poller.add(self.link_in.rfd)
        self._init_direct()
        self._opened = True

    def send(self, target: Any, envelope: Any) -> None:
        if not self._opened:
            self._open()
        _Endpoint.send(self, target, envelope)

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        if not self._opened:
            self._open()
        return _Endpoint.receive(self, timeout, waitables)

    def backlog(self) -> int:
        return _Endpoint.backlog(self) if self._opened else 0

    def close(self) -> None:
        if self._opened:
            self.direct.close()
        self.to_admin.close()
        self.from_admin.close()
        shutil.rmtree(self.fifo_dir, ignore_errors=True)


@attrs.frozen
class AdminLink:
    """The admin's ends of its two pipes to the creating process, and what it
    needs to set up direct pipes between its actors."""

    method: str  # the start method (fork: a child must close the admin's other pipes)
    inbound: Channel
    outbound: Channel
    me: str
    client_prefix: str
    fifo_dir: str

    def open(self) -> AdminQueueTransport:
        return AdminQueueTransport(
            self.method, self.inbound.reading(), self.outbound.writing(), self.me,
            self.client_prefix, self.fifo_dir,
        )


def _raise_fd_limit() -> None:
    """Two pipes per actor: let the admin use every descriptor it is allowed."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    except (ValueError, OSError):
        pass


class AdminQueueTransport:
    """The admin's side: a channel pair per actor and one for the client."""

    shared_memory = True

    def __init__(
        self, method: str, inbound: Channel, client: Channel, me: str, client_prefix: str,
        fifo_dir: str,
    ) -> None:
        global _forked_admin
        self.address = me
        self.client_prefix = client_prefix
        self.method = method
        self.client_in = inbound
        self.client_out = client
        self.to_child: dict[Any, Channel] = {}
        self.from_child: dict[Any, Channel] = {}
        self._by_fd: dict[int, Channel] = {inbound.rfd: inbound}
        self.fifos: dict[tuple[str, str], Channel] = {}
        self.fifo_paths: dict[tuple[str, str], str] = {}
        self.fifo_by_path: dict[str, tuple[str, str]] = {}
        self.fifo_dir: str | None = fifo_dir
        self.fifo_seq = 0
        # read ends of pipes into processes that are gone, kept until their
        # writers let go: what is written in the meantime is a dead letter
        self.graves: dict[int, Channel] = {}
        self.poller = Poller()
        self.poller.add(inbound.rfd)
        _forked_admin = self
        _raise_fd_limit()

    def child_link(self, child: Any) -> ActorLink:
        down, up = Channel(), Channel()
        self.to_child[child] = down
        self.from_child[child] = up
        return ActorLink(child, down, up)

    def child_started(self, child: Any) -> None:
        """The process exists: the admin keeps only its own ends."""
        down, up = self.to_child.get(child), self.from_child.get(child)
        if down is not None:
            # keep the read end too: what the child never read is drained from it later
            os.set_blocking(down.rfd, False)
        if up is not None:
            up.reading()
            self._by_fd[up.rfd] = up
            self.poller.add(up.rfd)

    def final_from(self, child: Any) -> list[Any]:
        """Whatever the ended child wrote before it went."""
        up = self.from_child.pop(child, None)
        if up is None:
            return []
        self._by_fd.pop(up.rfd, None)
        self.poller.discard(up.rfd)
        envs = up.read_ready()
        up.close()
        return envs

    def forget_child(self, child: Any) -> list[Any]:
        down = self.to_child.pop(child, None)
        left = self.final_from(child)  # normally already taken
        for pair in [p for p in self.fifos if child in p]:
            keeper = self.fifos.pop(pair)
            if pair[1] == child:  # what others wrote straight to it and it never read
                self._unlink(pair)  # nobody opens it from now on
                left.extend(env for env in keeper.read_ready() if env[2] != SWITCHED)
                if not keeper.eof:
                    self._bury(pair, keeper)
                    continue
            elif pair in self.fifo_paths:  # never switched: the reader can let go
                down_t = self._down(pair[1])
                if down_t is not None:
                    down_t.put((CONTROL, "direct-cancel", f"{pair[0]}\n".encode()))
            keeper.close()
            self._unlink(pair)
        if down is None:
            return left
        unread = [env for env in down.read_ready() + down.take_pending() if env[0] != CONTROL]
        down.close()
        return left + unread

    def _bury(self, pair: tuple[str, str], keeper: Channel) -> None:
        """The writer ``pair[0]`` may still be writing to the dead ``pair[1]``:
        closing now would lose what it writes before its next write fails.
        Read on (:meth:`receive` returns it, and the admin dead-letters it),
        tell the writer to switch back to the admin, and close at EOF."""
        self.graves[keeper.rfd] = keeper
        self._by_fd[keeper.rfd] = keeper
        self.poller.add(keeper.rfd)
        down_s = self._down(pair[0])
        if down_s is not None:
            down_s.put((CONTROL, "direct-gone", f"{pair[1]}\n".encode()))

    def is_client(self, target: Any) -> bool:
        return isinstance(target, str) and target.startswith(self.client_prefix)

    def _down(self, key: str) -> Channel | None:
        if key == self.client_prefix:
            return self.client_out
        return self.to_child.get(key)

    def send(self, target: Any, envelope: Any) -> None:
        ch = self.to_child.get(target)
        if ch is None:
            if not self.is_client(target):
                return
            ch = self.client_out
        sender = envelope[1]
        if sender != self.address:
            self._direct(sender, target, envelope[2])
        ch.put(envelope)

    def _direct(self, sender: str, target: str, data: bytes) -> None:
        """Forwarding from one process to another: give them a pipe of their own."""
        pair = (process_key(sender), process_key(target))
        if data == SWITCHED:
            self._unlink(pair)  # both ends are open now
            return
        if pair in self.fifos or pair[0] == pair[1] or self.fifo_dir is None:
            return
        down_s, down_t = self._down(pair[0]), self._down(pair[1])
        if down_s is None or down_t is None:
            return
        self.fifo_seq += 1
        path = os.path.join(self.fifo_dir, str(self.fifo_seq))  # never reused: a stale path fails
        try:
            os.mkfifo(path, 0o600)
            keeper = Channel.fifo_reader(path)  # lets the admin dead-letter what T never read
        except OSError:
            self.fifo_dir = None  # no named pipes here: keep forwarding
            return
        self.fifos[pair] = keeper
        self.fifo_paths[pair] = path
        self.fifo_by_path[path] = pair
        down_t.put((CONTROL, "direct-from", f"{pair[0]}\n{path}".encode()))

    def _ready(self, data: bytes) -> None:
        """T has the pipe open for reading: now S may write to it."""
        path = data.decode().partition("\n")[2]
        pair = self.fifo_by_path.get(path)
        down_s = self._down(pair[0]) if pair is not None else None
        if pair is None or down_s is None or pair not in self.fifos:
            return
        down_s.put((CONTROL, "direct-to", f"{pair[1]}\n{path}".encode()))

    def _unlink(self, pair: tuple[str, str]) -> None:
        path = self.fifo_paths.pop(pair, None)
        if path is not None:
            self.fifo_by_path.pop(path, None)
            try:
                os.unlink(path)
            except OSError:
                pass

    def receive(self, timeout: float | None, waitables: Sequence[Any] = ()) -> tuple[list[Any], list[Any]]:
        by_fd = self._by_fd
        self.poller.set_extra(waitables)
        ready = self.poller.wait(timeout)
        envs: list[Any] = []
        others: list[Any] = []
        for item in ready:
            ch = by_fd.get(item)
            if ch is not None:
                for env in ch.read_ready():
                    if env[0] == CONTROL:
                        if env[1] == "direct-ready":
                            self._ready(env[2])
                        continue
                    if env[2] == SWITCHED and self._down(process_key(env[0])) is None:
                        continue  # a marker for a process that is gone: nothing to switch
                    envs.append(env)
                if ch.eof and item in self.graves:  # its writer let go: nothing more can come
                    del self.graves[item]
                    self._by_fd.pop(item, None)
                    self.poller.discard(item)
                    ch.close()
            else:
                others.append(item)
        return envs, others

    def backlog(self) -> int:
        return max((ch.backlog() for ch in self.to_child.values()), default=0)

    def close(self) -> None:
        self.client_out.flush(5.0)  # the client is waiting for the last replies
        for ch in (*self.to_child.values(), *self.from_child.values(), *self.fifos.values(),
                   *self.graves.values(), self.client_in, self.client_out):
            ch.close()
        if self.fifo_dir is not None:
            shutil.rmtree(self.fifo_dir, ignore_errors=True)  # the client removes it too


@attrs.frozen
class ActorLink:
    """An actor process's pipes to and from its admin."""

    me: Any
    down: Channel
    up: Channel

    def open(self) -> ActorQueueTransport:
        admin = _forked_admin
        if admin is not None:  # forked from the admin: let go of everyone else's pipes
            mine = (self.down, self.up)
            for ch in (*admin.to_child.values(), *admin.from_child.values(), *admin.fifos.values(),
                       *admin.graves.values(), admin.client_in, admin.client_out):
                if ch not in mine:
                    ch.close()
        return ActorQueueTransport(self.me, self.down.reading(), self.up.writing())


class ActorQueueTransport(_Endpoint):
    """An actor process's side: its link to the admin, and direct pipes."""

    one_at_a_time = True  # what the actor has not started on stays in the pipe

    def __init__(self, me: Any, inbound: Channel, outbound: Channel) -> None:
        self.address = me
        self.link_in = inbound
        self.link_out = outbound
        self.poller = Poller()
        self.poller.add(inbound.rfd)
        self._init_direct()

    def close(self) -> None:
        for ch in self.direct.out.values():
            ch.flush(10.0)  # what the actor sent must reach its targets
        self.link_out.close(flush=10.0)
        self.direct.close()
        self.link_in.close()
