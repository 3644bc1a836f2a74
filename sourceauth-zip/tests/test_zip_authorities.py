"""The ready Source Authorities, on the simple base (in-process, so their log is visible)."""
from __future__ import annotations

import io
import logging

import pytest

from actorcore._core.sources import source_hash
from actorcore.actors import ActorSystem, InvalidActorSourceHash
from sourceauth_zip import (
    AllowSourceHashes,
    HashListAuthority,
    SignedSourceAuthority,
    SourceAuthorityReady,
    UseSigningKey,
    build_archive,
    sign_archive,
)

ZIP = build_archive({"zipauth_app/__init__.py": "", "zipauth_app/actors.py": (
    "from actorcore.actors import Actor\n"
    "class Hello(Actor):\n"
    "    def receiveMessage(self, message, sender):\n"
    "        self.send(sender, 'hello ' + str(message))\n"
)})
HELLO = "zipauth_app.actors.Hello"


@pytest.fixture
def asys():
    system = ActorSystem("simpleSystemBase", logDefs=False, transientUnique=True)
    yield system
    system.shutdown()


def test_hash_list_accepts_listed_and_rejects_others_with_a_reason(asys, caplog):
    other = build_archive({"zipauth_other.py": "X = 1"})
    auth = asys.createActor(HashListAuthority)
    assert asys.ask(auth, AllowSourceHashes([source_hash(ZIP).upper()]), 5) == SourceAuthorityReady(
        "HashListAuthority"
    )
    h = asys.loadActorSource(io.BytesIO(ZIP))
    assert asys.ask(asys.createActor(HELLO, sourceHash=h), "you", 5) == "hello you"
    with caplog.at_level(logging.WARNING, "sourceauth_zip"):
        bad = asys.loadActorSource(io.BytesIO(other))
    assert f"source {bad} (<stream>) rejected by HashListAuthority: its hash is not in the allowed list" in caplog.text
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor("zipauth_other.X", sourceHash=bad)


def test_signed_authority_rejects_unsigned_and_wrongly_signed(asys, caplog):
    auth = asys.createActor(SignedSourceAuthority)
    asys.ask(auth, UseSigningKey(b"k"), 5)
    with caplog.at_level(logging.WARNING, "sourceauth_zip"):
        unsigned = asys.loadActorSource(io.BytesIO(ZIP))
        wrong = asys.loadActorSource(io.BytesIO(sign_archive(ZIP, b"not k")))
    assert "not a signed actor source" in caplog.text
    assert "signature does not match" in caplog.text
    for h in (unsigned, wrong):
        with pytest.raises(InvalidActorSourceHash):
            asys.createActor(HELLO, sourceHash=h)
    good = asys.loadActorSource(io.BytesIO(sign_archive(ZIP, b"k")))
    assert asys.ask(asys.createActor(HELLO, sourceHash=good), "signed", 5) == "hello signed"


def test_a_later_registration_replaces_the_authority(asys):
    first = asys.createActor(HashListAuthority)
    asys.ask(first, AllowSourceHashes([source_hash(ZIP)]), 5)
    second = asys.createActor(HashListAuthority)
    asys.ask(second, AllowSourceHashes([]), 5)  # trusts nothing, and is now the authority
    h = asys.loadActorSource(io.BytesIO(ZIP))
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor(HELLO, sourceHash=h)
