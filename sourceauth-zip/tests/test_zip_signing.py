"""sourceauth_zip.signing: the signed-archive format."""
from __future__ import annotations

import pytest

from sourceauth_zip import build_archive, sign_archive, verify_signed_archive
from sourceauth_zip.signing import MAGIC

ZIP = build_archive({"m.py": "X = 1"})


def test_round_trip():
    signed = sign_archive(ZIP, b"k1")
    assert signed.startswith(MAGIC) and signed.endswith(ZIP)
    assert verify_signed_archive(signed, b"k1") == ZIP


def test_wrong_key():
    with pytest.raises(ValueError, match="signature does not match"):
        verify_signed_archive(sign_archive(ZIP, b"k1"), b"k2")


def test_altered_archive():
    signed = bytearray(sign_archive(ZIP, b"k1"))
    signed[-5] ^= 0xFF
    with pytest.raises(ValueError, match="signature does not match"):
        verify_signed_archive(bytes(signed), b"k1")


def test_plain_zip_is_not_signed():
    with pytest.raises(ValueError, match="not a signed actor source"):
        verify_signed_archive(ZIP, b"k1")


def test_malformed_tag_line():
    with pytest.raises(ValueError, match="malformed"):
        verify_signed_archive(MAGIC + b"abc\n" + ZIP, b"k1")


def test_empty_key_is_refused():
    with pytest.raises(ValueError, match="non-empty"):
        sign_archive(ZIP, b"")
