"""Files in ``/dev/shm`` that carry a big message's buffers between the
processes of one system on one host (docs/big-messages.md).

Each system has one directory, ``/dev/shm/actorcore-<uid>-<system id>``
(mode 0700), made by its admin and removed by it at shutdown. A sender
writes each buffer of a message into a file of its own there, named
``s-<sender pid>-<target key>-<random>``; the receiver claims the file by
renaming it ``c-<receiver pid>-<random>`` (so whose it is shows in the
name), maps it and unlinks it at once: the mapping lives on as long as the
objects built on it, the file does not. What a dead process leaves behind
is swept by the admin by the pid or the target key in the names.

Names come from peers that proved they hold the system's secret, and are
still checked with a strict pattern before they are used; nothing here
follows a name out of the directory (every call is relative to the
directory's descriptor, with ``O_NOFOLLOW``).
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import mmap
import os
import re
import stat
from typing import Iterable, Sequence

from .netbase import process_key

#: Where the directories live (a tmpfs on Linux).
ROOT = "/dev/shm"

#: A message goes through shared memory when the buffers pickle can take out
#: of band (``bytes``, ``bytearray``, ``memoryview``, numpy arrays...) add up
#: to more than this many bytes; below it a copy through the stream costs
#: less than making, mapping and removing files.
THRESHOLD = 256 * 1024

#: A buffer smaller than this stays in the pickle even in a big message.
MIN_ITEM = 16 * 1024

_SENT = re.compile(r"s-([0-9]{1,10})-([0-9a-f]{12})-([0-9a-f]{16})")
_CLAIMED = re.compile(r"c-([0-9]{1,10})-([0-9a-f]{16})")
_SYSID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# the admin's own file: its pid and pid namespace, so that a later process can
# tell a directory whose admin was killed (and could not remove it) from a live one
_ADMIN = re.compile(r"a-([0-9]{1,10})-([0-9]{1,20})")

_log = logging.getLogger("actorcore.shmem")

#: Files this process wrote and claimed (tests and benchmarks read them to
#: see which path a message took).
COUNTS = {"written": 0, "claimed": 0}


def _forked() -> None:
    COUNTS.update(written=0, claimed=0)  # a new process has written and claimed nothing


os.register_at_fork(after_in_child=_forked)


class BadName(ValueError):
    """A buffer name (or system id) in a frame that this module refuses to use."""


def directory(sysid: str) -> str:
    """The directory of system ``sysid``."""
    return f"{ROOT}/actorcore-{os.geteuid()}-{sysid}"


def target_key(addr: str) -> str:
    """The part of a file name that says which process it is for (a client's
    endpoints share their process's key)."""
    return hashlib.blake2b(process_key(str(addr)).encode(), digest_size=6).hexdigest()


def check_name(name: str) -> str:
    """``name`` if it is the name of a sent, unclaimed buffer; else BadName."""
    if not isinstance(name, str) or _SENT.fullmatch(name) is None:
        raise BadName(f"refused shared-memory buffer name {name!r}")
    return name


class Space:
    """One system's directory, as one process uses it."""

    def __init__(self, sysid: str, fd: int) -> None:
        self.sysid = sysid
        self.fd = fd

    # -- the sender --------------------------------------------------------------
    def write(self, buffers: Sequence[memoryview], target: str) -> list[str]:
        """One new file per buffer, holding a copy of it; their names. On an
        error nothing written stays behind."""
        prefix = f"s-{os.getpid()}-{target_key(target)}-"
        names: list[str] = []
        try:
            for buf in buffers:
                name = prefix + os.urandom(8).hex()
                fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                             0o600, dir_fd=self.fd)
                names.append(name)
                try:
                    _write_all(fd, buf)
                finally:
                    os.close(fd)
        except BaseException:
            self.discard(names)
            raise
        COUNTS["written"] += len(names)
        return names

    def discard(self, names: Iterable[str]) -> None:
        """Remove files this process wrote and will not send after all."""
        for name in names:
            try:
                os.unlink(check_name(name), dir_fd=self.fd)
            except (OSError, BadName):
                pass

    # -- the receiver ------------------------------------------------------------
    def claim(self, name: str, size: int, kind: str = "m") -> mmap.mmap | bytes | bytearray:
        """The buffer in file ``name``: mapped, or for ``kind`` "b" (bytes) or
        "a" (bytearray) read into one of those (the one copy they need,
        without faulting in a mapping first). The file is gone when this returns."""
        check_name(name)
        mine = f"c-{os.getpid()}-{os.urandom(8).hex()}"
        os.rename(name, mine, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        try:
            fd = os.open(mine, os.O_RDWR | os.O_NOFOLLOW, dir_fd=self.fd)
        finally:
            os.unlink(mine, dir_fd=self.fd)
        COUNTS["claimed"] += 1
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_size != size:
                raise BadName(f"shared-memory buffer {name!r} is not the {size} bytes announced")
            if kind == "b" or kind == "a":
                return _read_all(fd, size, kind)
            if size == 0:
                return b""
            return mmap.mmap(fd, size)
        finally:
            os.close(fd)

    # -- the admin ---------------------------------------------------------------
    def sweep(self, pid: int | None = None, target: str | None = None) -> int:
        """Remove the files naming ``pid`` (as sender of a file for ``target``
        or as claimer) or naming ``target``'s process; how many went."""
        key = target_key(target) if target is not None else None
        spid = str(pid) if pid is not None else None
        gone = 0
        for name in _list(self.fd):
            sent = _SENT.fullmatch(name)
            claimed = _CLAIMED.fullmatch(name) if sent is None else None
            if (sent is not None and sent.group(2) == key) or (
                    claimed is not None and claimed.group(1) == spid):
                try:
                    os.unlink(name, dir_fd=self.fd)
                    gone += 1
                except OSError:
                    pass
        return gone

    def names(self) -> list[str]:
        """The buffer files in the directory (sent or claimed)."""
        return [n for n in _list(self.fd) if _SENT.fullmatch(n) or _CLAIMED.fullmatch(n)]


_spaces: dict[str, Space] = {}


def _open_dir(path: str) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    st = os.fstat(fd)
    if st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) & 0o077:
        os.close(fd)
        raise PermissionError(f"{path} is not private to this user")
    return fd


def create(sysid: str) -> Space | None:
    """The admin's: make (or take over, emptied) the directory of ``sysid``.
    None where there is no usable ``/dev/shm`` (the system then streams)."""
    if _SYSID.fullmatch(sysid) is None or not os.path.isdir(ROOT):
        return None
    path = directory(sysid)
    try:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        fd = _open_dir(path)
    except OSError as exc:
        _log.warning("big messages will stream: cannot use %s: %s", path, exc)
        return None
    space = Space(sysid, fd)
    for name in _list(fd):  # left by an earlier admin of the same id
        try:
            os.unlink(name, dir_fd=fd)
        except OSError:
            pass
    try:
        os.close(os.open(f"a-{os.getpid()}-{_pid_namespace()}", os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | os.O_NOFOLLOW, 0o600, dir_fd=fd))
    except OSError:
        pass  # without it, only this admin or its creator removes the directory
    _spaces[sysid] = space
    reap()
    return space


def reap() -> int:
    """Remove the directories of this user whose admin is dead (killed, so it
    could not remove its own): those whose admin file names a pid of this
    pid namespace that is gone. How many went."""
    prefix = f"actorcore-{os.geteuid()}-"
    ns = str(_pid_namespace())
    gone = 0
    try:
        entries = os.listdir(ROOT)
    except OSError:
        return 0
    for entry in entries:
        sysid = entry[len(prefix):]
        if not entry.startswith(prefix) or _SYSID.fullmatch(sysid) is None:
            continue
        try:
            fd = _open_dir(f"{ROOT}/{entry}")
        except OSError:
            continue
        try:
            names = _list(fd)
            marks = [m for m in map(_ADMIN.fullmatch, names) if m is not None]
            if len(marks) != 1 or marks[0].group(2) != ns or _alive(int(marks[0].group(1))):
                continue
            for name in names:
                try:
                    os.unlink(name, dir_fd=fd)
                except OSError:
                    pass
        finally:
            os.close(fd)
        try:
            os.rmdir(f"{ROOT}/{entry}")
            gone += 1
        except OSError:
            pass
    return gone


def _pid_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not: it only waits to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat_line = fh.read()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: keep its directory
    return stat_line[stat_line.rfind(b")") + 2:][:1] != b"Z"


def join(sysid: str) -> Space | None:
    """An actor's or client's: the directory its admin made, or None (no
    such directory here: the admin is on another host, or has none)."""
    space = _spaces.get(sysid)
    if space is not None:
        return space
    if not isinstance(sysid, str) or _SYSID.fullmatch(sysid) is None:
        return None
    try:
        fd = _open_dir(directory(sysid))
    except OSError:
        return None
    space = _spaces[sysid] = Space(sysid, fd)
    global _reap_at_exit
    if not _reap_at_exit:  # an admin killed under us leaves its directory: not past our exit
        _reap_at_exit = True
        atexit.register(reap)
    return space


_reap_at_exit = False


def joined(sysid: str) -> Space:
    """The directory of ``sysid`` as a receiver uses it; BadName for a
    system this process is not part of."""
    space = _spaces.get(sysid)
    if space is None:
        raise BadName(f"shared-memory buffers of system {sysid!r}, which this process is not part of")
    return space


def joined_or_none(sysid: str) -> Space | None:
    return _spaces.get(sysid)


def remove(sysid: str) -> None:
    """The admin's, at shutdown: the directory and all in it."""
    space = _spaces.pop(sysid, None)
    if space is None:
        return
    for name in _list(space.fd):
        try:
            os.unlink(name, dir_fd=space.fd)
        except OSError:
            pass
    os.close(space.fd)
    try:
        os.rmdir(directory(sysid))
    except FileNotFoundError:  # the admin's, removed by it; a client removes it after a killed admin
        pass
    except OSError as exc:
        _log.warning("could not remove %s: %s", directory(sysid), exc)


def leave(sysid: str) -> None:
    """A process no longer part of ``sysid`` (a client after shutdown)."""
    space = _spaces.pop(sysid, None)
    if space is not None:
        os.close(space.fd)


def _list(fd: int) -> list[str]:
    try:
        return os.listdir(fd)
    except OSError:
        return []


def _read_all(fd: int, size: int, kind: str) -> bytes | bytearray:
    first = os.read(fd, size) if kind == "b" else b""
    if kind == "b" and len(first) == size:  # tmpfs: the whole file in one read
        return first
    buf = bytearray(size)
    view = memoryview(buf)
    view[:len(first)] = first
    done = len(first)
    while done < size:
        got = os.readv(fd, [view[done:]])
        if got == 0:
            raise BadName(f"shared-memory buffer ended after {done} of {size} bytes")
        done += got
    return bytes(buf) if kind == "b" else buf


def _write_all(fd: int, buf: memoryview) -> None:
    view = buf.cast("B") if buf.format != "B" or buf.ndim != 1 else buf
    done = 0
    total = view.nbytes
    while done < total:
        done += os.write(fd, view[done:])
