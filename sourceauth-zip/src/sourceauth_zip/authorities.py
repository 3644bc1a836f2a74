"""Source Authority actors ready to register as is (docs/api.md §8.3).

Create one, then tell it what to trust; it registers itself as the
system's Source Authority and answers ``SourceAuthorityReady``::

    auth = asys.createActor(HashListAuthority)
    asys.ask(auth, AllowSourceHashes([md5_of_archive]), 10)

    auth = asys.createActor(SignedSourceAuthority)
    asys.ask(auth, UseSigningKey(b"secret"), 10)   # then load sign_archive(zip, b"secret")

Every rejection is logged with its reason and answered with
``ValidatedSource(hash, None)``, so waiting creates fail at once.
"""
from __future__ import annotations

from typing import Any

import attrs

from actorcore.actors import Actor, ActorAddress, ValidatedSource, ValidateSource

from .signing import verify_signed_archive


@attrs.define
class AllowSourceHashes:
    """To a HashListAuthority: also accept archives with these MD5 hashes."""

    hashes: list[str]


@attrs.define
class UseSigningKey:
    """To a SignedSourceAuthority: accept archives signed with this HMAC key."""

    key: bytes = attrs.field(repr=False)


@attrs.define
class SourceAuthorityReady:
    """The authority is registered (the system now sends it ValidateSource)."""

    authority: str


class _Authority(Actor):
    """Registers on its first configuration message; judges ValidateSource."""

    _registered = False

    def receiveMessage(self, message: Any, sender: ActorAddress) -> None:
        if isinstance(message, ValidateSource):
            try:
                zip_bytes = self.judge(message)
            except ValueError as exc:
                self.logger("sourceauth_zip").warning(
                    "source %s (%s) rejected by %s: %s",
                    message.sourceHash, message.sourceInfo, type(self).__name__, exc,
                )
                zip_bytes = None
            self.send(sender, ValidatedSource(message.sourceHash, zip_bytes, message.sourceInfo))
        elif self.configure(message):
            if not self._registered:
                self.registerSourceAuthority()
                self._registered = True
            self.send(sender, SourceAuthorityReady(type(self).__name__))

    def configure(self, message: Any) -> bool:
        """Take a configuration message; False if ``message`` is not one."""
        raise NotImplementedError

    def judge(self, message: ValidateSource) -> bytes:
        """The zip to load for ``message``; ValueError (the reason) to reject it."""
        raise NotImplementedError


class HashListAuthority(_Authority):
    """Accepts exactly the archives whose hash it was given (``AllowSourceHashes``)."""

    def __init__(self) -> None:
        self.allowed: set[str] = set()

    def configure(self, message: Any) -> bool:
        if not isinstance(message, AllowSourceHashes):
            return False
        self.allowed.update(h.lower() for h in message.hashes)
        return True

    def judge(self, message: ValidateSource) -> bytes:
        if message.sourceHash not in self.allowed:
            raise ValueError("its hash is not in the allowed list")
        return message.sourceData


class SignedSourceAuthority(_Authority):
    """Accepts archives signed with its key (``UseSigningKey``; format: sourceauth_zip.signing)."""

    def __init__(self) -> None:
        self.key: bytes | None = None

    def configure(self, message: Any) -> bool:
        if not isinstance(message, UseSigningKey):
            return False
        self.key = bytes(message.key)
        return True

    def judge(self, message: ValidateSource) -> bytes:
        if self.key is None:
            raise ValueError("no signing key was given")
        return verify_signed_archive(message.sourceData, self.key)
