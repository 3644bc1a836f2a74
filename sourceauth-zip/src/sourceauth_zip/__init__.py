"""sourceauth-zip: actor code from zip archives, and ready Source Authorities.

The plugin (entry point ``zip``) implements ``actorcore_unpack_source``;
the names below are for users building, signing and trusting archives.
"""
from __future__ import annotations

from .archive import MAX_MEMBERS, MAX_UNCOMPRESSED_BYTES, ArchiveRefused, build_archive
from .authorities import (
    AllowSourceHashes,
    HashListAuthority,
    SignedSourceAuthority,
    SourceAuthorityReady,
    UseSigningKey,
)
from .signing import sign_archive, verify_signed_archive

__all__ = [
    "MAX_MEMBERS",
    "MAX_UNCOMPRESSED_BYTES",
    "AllowSourceHashes",
    "ArchiveRefused",
    "HashListAuthority",
    "SignedSourceAuthority",
    "SourceAuthorityReady",
    "UseSigningKey",
    "build_archive",
    "sign_archive",
    "verify_signed_archive",
]
