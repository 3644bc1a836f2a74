"""docs/api.md §2.9, §3.9, §8 with sourceauth-zip: loading, running, versions, unloading."""
from __future__ import annotations

import io

import pytest

from actorcore.actors import InvalidActorSourceHash, Thespian_StatusReq

# The per-base nox sessions install one base and no source plugin.
pytest.importorskip("sourceauth_zip", reason="sourceauth-zip is not installed")

from sourceauth_zip import (  # noqa: E402
    SignedSourceAuthority,
    SourceAuthorityReady,
    UseSigningKey,
    build_archive,
    sign_archive,
)

from .helpers import WAIT, poll  # noqa: E402
from .sourcezips import app_files, app_zip, barn_files, md5, trust, write  # noqa: E402

GREETER = "app.actors.Greeter"


def loaded(asys):
    status = asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT)
    return {h: info for h, info in status.loadedSources}


def test_load_create_and_run(asys, tmp_path):
    data = app_zip("1")
    trust(asys, md5(data))
    h = asys.loadActorSource(write(tmp_path, "app-1.zip", data))
    assert h == md5(data)
    greeter = asys.createActor(GREETER, sourceHash=h)  # waits for the verdict if need be
    assert asys.ask(greeter, "version", WAIT) == "1"
    assert asys.ask(greeter, "parts", WAIT) == ["helper", "deep", "helper"]
    assert h in loaded(asys)


def test_load_from_binary_file_object(asys):
    data = app_zip("1")
    trust(asys, md5(data))
    h = asys.loadActorSource(io.BytesIO(data))
    assert asys.ask(asys.createActor(GREETER, sourceHash=h), "version", WAIT) == "1"


def test_two_versions_side_by_side_then_unload_the_first(asys):
    v1, v2 = app_zip("1"), app_zip("2")
    trust(asys, md5(v1), md5(v2))
    h1 = asys.loadActorSource(io.BytesIO(v1))
    h2 = asys.loadActorSource(io.BytesIO(v2))
    g1 = asys.createActor(GREETER, sourceHash=h1)
    g2 = asys.createActor(GREETER, sourceHash=h2)
    assert asys.ask(g1, "version", WAIT) == "1"
    assert asys.ask(g2, "version", WAIT) == "2"
    asys.unloadActorSource(h1)
    assert h1 not in loaded(asys) and h2 in loaded(asys)
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor(GREETER, sourceHash=h1)
    assert asys.ask(g1, "version", WAIT) == "1"  # running actors keep running
    assert asys.ask(asys.createActor(GREETER, sourceHash=h2), "version", WAIT) == "2"


def test_string_class_names_resolve_within_the_source(asys):
    v1, v2 = app_zip("1"), app_zip("2")
    trust(asys, md5(v1), md5(v2))
    g1 = asys.createActor(GREETER, sourceHash=asys.loadActorSource(io.BytesIO(v1)))
    g2 = asys.createActor(GREETER, sourceHash=asys.loadActorSource(io.BytesIO(v2)))
    assert asys.ask(g1, "child", WAIT) == "child 1"
    assert asys.ask(g2, "child", WAIT) == "child 2"
    assert asys.ask(g1, "child-by-class", WAIT) == "child 1"
    assert asys.ask(g2, "child-by-class", WAIT) == "child 2"


def test_loading_the_same_bytes_twice_is_one_source(asys):
    data = app_zip("1")
    trust(asys, md5(data))
    assert asys.loadActorSource(io.BytesIO(data)) == asys.loadActorSource(io.BytesIO(data))
    asys.createActor(GREETER, sourceHash=md5(data))
    assert list(loaded(asys)) == [md5(data)]


def test_actor_loads_and_creates_before_the_verdict(asys, tmp_path):
    data = app_zip("3")
    trust(asys, md5(data))
    deployer = asys.createActor("tests.actors.sources.Deployer")
    path = write(tmp_path, "app-3.zip", data)
    assert asys.ask(deployer, ("deploy", path, GREETER, "version"), WAIT) == "3"


def test_actor_create_from_a_rejected_source_fails_as_a_child(asys, tmp_path):
    trust(asys)  # trusts nothing
    deployer = asys.createActor("tests.actors.sources.Deployer")
    path = write(tmp_path, "app.zip", app_zip("1"))
    reply = asys.ask(deployer, ("deploy", path, GREETER, "version"), WAIT)
    assert reply in ("child exited", "poisoned")


def test_notifications_on_load_and_unload(asys):
    v1, v2 = app_zip("1"), app_zip("2")
    trust(asys, md5(v1), md5(v2))
    h1 = asys.loadActorSource(io.BytesIO(v1))
    asys.createActor(GREETER, sourceHash=h1)  # h1 is valid before the watcher registers
    watcher = asys.createActor("tests.actors.sources.SourceWatcher")
    assert asys.ask(watcher, "watch", WAIT) == "watching"
    h2 = asys.loadActorSource(io.BytesIO(v2))
    asys.createActor(GREETER, sourceHash=h2)
    asys.unloadActorSource(h1)
    want = [("loaded", h1), ("loaded", h2), ("unloaded", h1)]
    assert poll(asys, watcher, "get", lambda seen: seen == want) == want


def test_signed_source_authority(asys):
    key = b"deploy key"
    signed = sign_archive(app_zip("7"), key)
    auth = asys.createActor(SignedSourceAuthority)
    assert isinstance(asys.ask(auth, UseSigningKey(key), WAIT), SourceAuthorityReady)
    h = asys.loadActorSource(io.BytesIO(signed))
    assert asys.ask(asys.createActor(GREETER, sourceHash=h), "version", WAIT) == "7"
    forged = sign_archive(app_zip("8"), b"another key")
    bad = asys.loadActorSource(io.BytesIO(forged))
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor(GREETER, sourceHash=bad)
    assert bad not in loaded(asys)


# -- bad input: each refused, nothing loaded ---------------------------------------------
def _refused(asys, data) -> bool:
    """Whether a trusted source of ``data`` is refused: no actor, nothing loaded."""
    trust(asys, md5(data))
    h = asys.loadActorSource(io.BytesIO(data))
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor(GREETER, sourceHash=h)
    return loaded(asys) == {}


def test_not_a_zip_is_refused(asys):
    assert _refused(asys, b"this is not a zip archive at all")


def test_modules_import_when_used_so_a_broken_one_fails_only_its_actors(asys):
    data = build_archive(barn_files())
    trust(asys, md5(data))
    h = asys.loadActorSource(io.BytesIO(data))
    assert asys.ask(asys.createActor("barn.cow.Cow", sourceHash=h), "hi", WAIT) == "moo"
    with pytest.raises(ImportError, match=r"'barn\.broken'.*SyntaxError: .*broken\.py, line 1"):
        asys.createActor("barn.broken.Trough", sourceHash=h)
    assert h in loaded(asys)


def test_implicit_relative_circular_and_multilevel_imports_inside_a_source(asys):
    data = build_archive(barn_files())
    trust(asys, md5(data))
    piglet = asys.createActor("barn.piglet.Piglet", sourceHash=asys.loadActorSource(io.BytesIO(data)))
    assert asys.ask(piglet, "hi", WAIT) == "oink cluck pen Piglet"


def test_a_class_missing_from_a_source_is_an_import_error_naming_it(asys):
    data = build_archive(barn_files())
    trust(asys, md5(data))
    h = asys.loadActorSource(io.BytesIO(data))
    with pytest.raises(ImportError, match="'Horse'"):
        asys.createActor("barn.cow.Horse", sourceHash=h)
    with pytest.raises(ImportError, match="'barn.stable'"):
        asys.createActor("barn.stable.Horse", sourceHash=h)


def test_a_module_missing_from_a_source_raises_import_error_inside_it(asys):
    data = build_archive(barn_files())
    trust(asys, md5(data))
    cow = asys.createActor("barn.cow.Cow", sourceHash=asys.loadActorSource(io.BytesIO(data)))
    kind, text = asys.ask(cow, "import-missing", WAIT)
    assert kind == "ModuleNotFoundError" and "barn.not_in_the_source" in text


def test_zip_slip_path_is_refused(asys):
    files = app_files("1")
    files["../escape.py"] = "X = 1\n"
    assert _refused(asys, build_archive(files))


def test_huge_archive_is_refused(asys):
    from sourceauth_zip import MAX_UNCOMPRESSED_BYTES

    files = app_files("1")
    files["app/blob.dat"] = b"\0" * (MAX_UNCOMPRESSED_BYTES + 1)  # compresses to ~64 KiB
    assert _refused(asys, build_archive(files))


def test_hash_naming_nothing_is_refused(asys):
    trust(asys, "0" * 32)
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor(GREETER, sourceHash="0" * 32)
    assert loaded(asys) == {}


def test_validated_source_from_a_non_authority_is_ignored(asys):
    data = app_zip("1")
    trust(asys)  # the real authority rejects everything
    h = asys.loadActorSource(io.BytesIO(data))
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor(GREETER, sourceHash=h)  # rejected
    forger = asys.createActor("tests.actors.sources.Forger")
    assert asys.ask(forger, ("forge", asys.systemAddress, h, data), WAIT) == []
    from actorcore.actors import ValidatedSource

    asys.tell(asys.systemAddress, ValidatedSource(h, data, "forged by the client"))
    with pytest.raises(InvalidActorSourceHash):
        asys.createActor(GREETER, sourceHash=h)
    assert loaded(asys) == {}
