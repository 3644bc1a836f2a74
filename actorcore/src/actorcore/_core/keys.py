"""The shared secret of a system (docs/api.md §9.4): where it comes from, and the
keys derived from it.

The secret is, in this order: the ``Convention Secret`` capability, the
``ACTORCORE_SECRET`` environment variable, or a per-user file
(``$XDG_CONFIG_HOME/actorcore/secret``, else ``~/.config/actorcore/secret``)
created on first use with mode 0600. The file means that programs of one
user attach to each other with no configuration while other local users,
who cannot read it, are locked out even on loopback.

The secret itself is never used as a key: every purpose gets its own key,
HMAC-SHA256 of a label under the secret, so a key leaked from one use says
nothing about another. A :class:`Secret` never shows its value in ``repr``,
``str`` or a log line.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Any, Mapping

SECRET_CAPABILITY = "Convention Secret"
SECRET_ENV = "ACTORCORE_SECRET"
INSECURE_ENV = "ACTORCORE_INSECURE"
MIN_BYTES = 16
_FILE_BYTES = 32
_LABEL = b"actorcore/1 key for "


class Secret:
    """The shared secret, and where it came from (``origin``)."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: bytes, origin: str) -> None:
        if len(value) < MIN_BYTES:
            raise ValueError(
                f"the actorcore secret (from {origin}) is {len(value)} bytes long; it must be at "
                f"least {MIN_BYTES} bytes (e.g. python3 -c 'import secrets; print(secrets.token_hex(16))')"
            )
        self._value = value
        self.origin = origin

    @property
    def explicit(self) -> bool:
        """Set by the capability or the environment, not taken from the per-user file."""
        return self.origin in ("capability", "environment")

    def key(self, purpose: str) -> bytes:
        """The key for one purpose (``"handshake"``, ``"udp datagrams"``, ...)."""
        return hmac.digest(self._value, _LABEL + purpose.encode(), hashlib.sha256)

    def __repr__(self) -> str:
        return f"<Secret from {self.origin}, {len(self._value)} bytes>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self.key("identity"))

    def __getstate__(self) -> tuple[bytes, str]:
        return self._value, self.origin

    def __setstate__(self, state: tuple[bytes, str]) -> None:
        self._value, self.origin = state


def _as_bytes(value: Any, origin: str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise ValueError(f"the actorcore secret (from {origin}) must be str or bytes, not {type(value).__name__}")


def user_secret_path() -> Path:
    """Where this user's secret file is (it may not exist yet)."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".config"
    return root / "actorcore" / "secret"


def resolve(capabilities: Mapping[str, Any]) -> Secret:
    """The secret for a system with these capabilities (capability, env, file)."""
    value = capabilities.get(SECRET_CAPABILITY)
    if value is not None:
        return Secret(_as_bytes(value, f"the {SECRET_CAPABILITY!r} capability"), "capability")
    env = os.environ.get(SECRET_ENV)
    if env:
        return Secret(_as_bytes(env, SECRET_ENV), "environment")
    return Secret(read_or_create(user_secret_path()), "user file")


def read_or_create(path: Path) -> bytes:
    """The secret in ``path``, made there (mode 0600) if there is none yet.

    A file that another user owns, or that group or others may read, is
    refused: its secret would not keep other local users out.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".secret.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(_FILE_BYTES).hex().encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another program made it first: then theirs counts
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return _read(path)


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():
            raise PermissionError(f"{path} belongs to another user (uid {info.st_uid}); refusing it as the actorcore secret")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PermissionError(
                f"{path} may be read by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
                f"run 'chmod 600 {path}' so that it keeps other users out"
            )
        data = os.read(fd, 4096).strip()
    finally:
        os.close(fd)
    if len(data) < MIN_BYTES:
        raise ValueError(f"{path} holds {len(data)} bytes; the actorcore secret must be at least {MIN_BYTES} bytes")
    return data


def insecure_allowed() -> bool:
    """``ACTORCORE_INSECURE=1``: listen beyond loopback without an explicit secret."""
    return os.environ.get(INSECURE_ENV, "").strip().lower() in ("1", "true", "yes")


def scrub_environment() -> None:
    """Remove ``ACTORCORE_SECRET`` from this process's environment.

    Called first thing in the admin and actor processes. Popping it from
    ``os.environ`` keeps it from anything they start; overwriting the
    process's original environment block (which ``/proc/PID/environ``
    shows, and which a forked child inherits as it was) keeps it out of
    their ``/proc/PID/environ`` too.
    """
    if os.environ.pop(SECRET_ENV, None) is None:
        return
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        # fields 50 and 51 of stat(5) (env_start, env_end), counted from the state (field 3)
        start, end = int(fields[47]), int(fields[48])
        with open("/proc/self/mem", "r+b", buffering=0) as mem:
            mem.seek(start)
            block = mem.read(end - start)
            name = SECRET_ENV.encode() + b"="
            at = 0
            while True:
                at = block.find(name, at)
                if at < 0:
                    break
                if at == 0 or block[at - 1] == 0:
                    stop = block.find(b"\0", at)
                    stop = len(block) if stop < 0 else stop
                    mem.seek(start + at + len(name))
                    mem.write(b"*" * (stop - at - len(name)))
                at += len(name)
    except (OSError, ValueError, IndexError):
        pass  # not Linux, or /proc unreadable: os.environ is clean all the same
