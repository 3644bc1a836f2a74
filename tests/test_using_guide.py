"""What Thespian 4.0.1's "Using Thespian" guide describes, where actorcore
behaved otherwise (docs/porting.md, "Other differences from Thespian
4.0.1's documentation")."""
from __future__ import annotations

import io
from typing import Any, ContextManager

import pytest

from actorcore import testing
from actorcore.actors import (
    InvalidActorSourceHash,
    InvalidActorSpecification,
    PoisonMessage,
)

from .helpers import WAIT

LIMIT = "Max Message Size"
MIB = 1 << 20


def own_system(asys_base: str, asys_info: Any, **extra: Any) -> ContextManager[Any]:
    """A system of the base under test with ``extra`` capabilities, shut down
    afterwards, leaving no process behind (as the ``asys`` fixture does)."""
    return testing.running_system(asys_base, {**testing.capabilities_for(asys_info), **extra})


# -- THESPIAN_BASE_IPADDR ------------------------------------------------------

@pytest.mark.requires("admin_port", reason="only bases that listen on an Admin Port read "
                                             "THESPIAN_BASE_IPADDR")
def test_thespian_base_ipaddr_may_name_the_host(asys_base, asys_info, monkeypatch):
    """The guide suggests ``localhost`` for a system that needs no convention;
    the UDP base then never heard its own admin (its peers are known by the
    numeric address their datagrams come from) and start-up failed."""
    monkeypatch.setenv("THESPIAN_BASE_IPADDR", "localhost")
    with own_system(asys_base, asys_info) as asys:
        mirror = asys.createActor("tests.actors.basic.Echo")
        assert asys.ask(mirror, "hello", WAIT) == "hello"


# -- exception texts -----------------------------------------------------------

def test_exception_texts_start_with_thespians_words():
    """Programs and their tests match on these texts."""
    assert str(InvalidActorSpecification("Bare")) == "Invalid Actor Specification: Bare"
    assert str(InvalidActorSpecification("Bare", "why")) == "Invalid Actor Specification: Bare (why)"
    assert str(InvalidActorSourceHash("abc")) == "Source hash abc does not match any loaded sources."


# -- createActor with a sourceHash ---------------------------------------------

def _trusted_source(asys: Any) -> str:
    sourceauth_zip = pytest.importorskip("sourceauth_zip", reason="sourceauth-zip is not installed")
    from .sourcezips import app_zip, md5

    data = app_zip("1")
    auth = asys.createActor(sourceauth_zip.HashListAuthority)
    reply = asys.ask(auth, sourceauth_zip.AllowSourceHashes([md5(data)]), WAIT)
    assert isinstance(reply, sourceauth_zip.SourceAuthorityReady)
    return asys.loadActorSource(io.BytesIO(data))


def test_a_bare_class_name_is_an_invalid_specification_with_a_source_hash_too(asys):
    """The simple base raised a plain ImportError when a sourceHash was given."""
    h = _trusted_source(asys)
    assert asys.ask(asys.createActor("app.actors.Greeter", sourceHash=h), "version", WAIT) == "1"
    with pytest.raises(InvalidActorSpecification, match="fully qualified"):
        asys.createActor("Greeter", sourceHash=h)


def test_a_class_the_source_does_not_hold_comes_from_the_installed_modules(asys):
    """The guide: the source is searched first, then the usual import path."""
    h = _trusted_source(asys)
    mirror = asys.createActor("tests.actors.basic.Echo", sourceHash=h)
    assert asys.ask(mirror, "installed", WAIT) == "installed"


# -- message size --------------------------------------------------------------

def test_a_message_over_max_message_size_comes_back_to_the_sending_actor(asys_base, asys_info):
    """Before, TCP stalled the sender's later messages to that actor and UDP
    dropped the message with only a log line; now it is a PoisonMessage, as
    for a message that cannot be pickled, and what follows is delivered."""
    if LIMIT not in asys_info.capabilities:
        pytest.skip(f"this base declares no {LIMIT} capability: it carries messages of any size")
    with own_system(asys_base, asys_info, **{LIMIT: MIB}) as asys:
        sender = asys.createActor("tests.actors.flow.BigSender")
        first = asys.ask(sender, ("send", 2 * MIB), WAIT)
        assert first is not None and first[:2] == ("poison", 2 * MIB), first
        assert LIMIT in first[2] and str(MIB) in first[2]
        assert asys.listen(WAIT) == ("str", "after")
        assert asys.ask(sender, ("send", MIB // 2), WAIT) == ("bytes", MIB // 2)


def test_a_tell_over_max_message_size_comes_back_to_the_program(asys_base, asys_info):
    if LIMIT not in asys_info.capabilities:
        pytest.skip(f"this base declares no {LIMIT} capability: it carries messages of any size")
    with own_system(asys_base, asys_info, **{LIMIT: MIB}) as asys:
        mirror = asys.createActor("tests.actors.basic.Echo")
        reply = asys.ask(mirror, b"x" * (2 * MIB), WAIT)
        assert isinstance(reply, PoisonMessage) and reply.poisonMessage == b"x" * (2 * MIB)
        assert LIMIT in reply.details
        assert asys.ask(mirror, "next", WAIT) == "next"


def test_a_message_over_64_mib_arrives_on_a_base_without_a_size_limit(asys, asys_info):
    """The guide's FAQ: Thespian sets no message size limit. The queue base
    cut such a message off silently (and stopped reading from its sender)."""
    if LIMIT in asys_info.capabilities:
        pytest.skip(f"this base declares a {LIMIT} capability")
    sender = asys.createActor("tests.actors.flow.BigSender")
    size = 65 * MIB
    assert asys.ask(sender, ("send", size), 60) == ("bytes", size)
    assert asys.listen(WAIT) == ("str", "after")
