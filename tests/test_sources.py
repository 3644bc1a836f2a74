"""docs/api.md §2.9, §3.9, §8.2: source loading without a Source Authority."""
from __future__ import annotations

import hashlib
import io

import pytest

from actorcore.actors import InvalidActorSourceHash

from .actors.basic import Echo
from .helpers import WAIT

DATA = b"PK\x05\x06" + b"\x00" * 18  # an empty zip archive


def test_load_returns_md5_hash_even_without_authority(asys):
    h = asys.loadActorSource(io.BytesIO(DATA))
    assert h == hashlib.md5(DATA).hexdigest()


def test_load_from_path(asys, tmp_path):
    p = tmp_path / "src.zip"
    p.write_bytes(DATA)
    assert asys.loadActorSource(str(p)) == hashlib.md5(DATA).hexdigest()


def test_unreadable_path_is_os_error(asys, tmp_path):
    with pytest.raises(OSError):
        asys.loadActorSource(str(tmp_path / "missing.zip"))


def test_source_without_authority_is_never_usable(asys):
    h = asys.loadActorSource(io.BytesIO(DATA))
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor("tests.actors.basic.Echo", sourceHash=h)


def test_unknown_hash_is_invalid(asys):
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor("tests.actors.basic.Echo", sourceHash="0" * 32)


def test_unload_unknown_hash_is_ignored(asys):
    asys.unloadActorSource("f" * 32)
    assert asys.ask(asys.createActor(Echo), "alive", WAIT) == "alive"
