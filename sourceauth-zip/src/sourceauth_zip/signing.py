"""The signed-archive format understood by :class:`SignedSourceAuthority`.

A signed archive is, byte for byte::

    MAGIC                      b"ACTORCORE-SIGNED-SOURCE/1\n"
    tag                        64 lowercase hex digits, then b"\n"
    zip                        the archive itself, unchanged

where ``tag = HMAC-SHA256(key, MAGIC + zip)``. Load the signed bytes with
``loadActorSource``; the authority checks the tag with its key and hands
the plain zip to the system. Only holders of the key can produce archives
the authority accepts; the format hides nothing (it signs, not encrypts).
"""
from __future__ import annotations

import hashlib
import hmac

MAGIC = b"ACTORCORE-SIGNED-SOURCE/1\n"
_TAG_LEN = 64


def _tag(key: bytes, zip_bytes: bytes) -> bytes:
    return hmac.new(key, MAGIC + zip_bytes, hashlib.sha256).hexdigest().encode("ascii")


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or not key:
        raise ValueError("a signing key is non-empty bytes")
    return bytes(key)


def sign_archive(zip_bytes: bytes, key: bytes) -> bytes:
    """The signed form of ``zip_bytes`` under ``key`` (ValueError for an empty key)."""
    key = _check_key(key)
    return MAGIC + _tag(key, bytes(zip_bytes)) + b"\n" + bytes(zip_bytes)


def verify_signed_archive(data: bytes, key: bytes) -> bytes:
    """The zip inside ``data`` if its tag matches ``key``; ValueError says why not."""
    key = _check_key(key)
    if not data.startswith(MAGIC):
        raise ValueError("not a signed actor source (missing the ACTORCORE-SIGNED-SOURCE/1 header)")
    tag_end = len(MAGIC) + _TAG_LEN
    if data[tag_end : tag_end + 1] != b"\n":
        raise ValueError("malformed signed actor source (the tag line is not 64 hex digits)")
    tag = data[len(MAGIC) : tag_end]
    zip_bytes = data[tag_end + 1 :]
    if not hmac.compare_digest(tag, _tag(key, zip_bytes)):
        raise ValueError("signature does not match: signed with another key, or altered")
    return zip_bytes
