"""The core's SourceRegistry with this plugin: verdicts, refusals with reasons,
notifications, and the two entry points conventions use (zip_for, install_remote)."""
from __future__ import annotations

import logging

import pytest

from actorcore._core.addresses import ActorAddress
from actorcore._core.messages import LoadedSource, UnloadedSource, ValidatedSource, ValidateSource
from actorcore._core.sourceregistry import SourceRegistry, remote_sources_policy
from actorcore._core.sources import source_hash
from sourceauth_zip import build_archive

AUTHORITY = ActorAddress("authority")
WATCHER = ActorAddress("watcher")
GOOD = build_archive({"app/__init__.py": "", "app/mod.py": "NAME = 'mod'\n"})


class Sent(list):
    def __call__(self, target, msg):
        self.append((target, msg))

    def to(self, target):
        return [m for t, m in self if t == target]


def registry(caps=None):
    sent = Sent()
    reg = SourceRegistry(sent, {} if caps is None else caps)
    reg.set_authority(AUTHORITY)
    reg.watch(WATCHER, True)
    return reg, sent


def validate(reg, data, zip_bytes=None, sender=AUTHORITY):
    digest = reg.load(data, "test.zip")
    reg.on_validated(ValidatedSource(digest, data if zip_bytes is None else zip_bytes), sender)
    return digest


def test_accepted_source_is_loaded_and_announced():
    reg, sent = registry()
    digest = reg.load(GOOD, "test.zip")
    assert sent.to(AUTHORITY) == [ValidateSource(digest, GOOD, "test.zip")]
    assert reg.is_pending(digest)
    reg.on_validated(ValidatedSource(digest, GOOD), AUTHORITY)
    assert not reg.is_pending(digest)
    assert reg.loaded[digest].load_class("app.mod.NAME") == "mod"
    assert sent.to(WATCHER) == [LoadedSource(digest, "test.zip")]
    assert reg.status() == [(digest, "test.zip")]


@pytest.mark.parametrize(
    "files, reason",
    [
        (None, "not a zip archive"),
        ({"app/__init__.py": "", "../../etc/cron.py": ""}, "unsafe member path"),
        ({"notes.txt": "no code"}, "no Python modules"),
    ],
    ids=["not-a-zip", "zip-slip", "no-modules"],
)
def test_refused_archives_log_the_reason_and_load_nothing(caplog, files, reason):
    data = b"not a zip" if files is None else build_archive(files)
    reg, sent = registry()
    with caplog.at_level(logging.ERROR, "actorcore.sources"):
        digest = validate(reg, data)
    assert reg.loaded == {} and reg.zips == {}
    assert sent.to(WATCHER) == []
    assert f"source {digest} (test.zip) refused" in caplog.text
    assert reason in caplog.text


def test_huge_archive_is_refused_with_the_limit_named(caplog, monkeypatch):
    from sourceauth_zip import archive

    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED_BYTES", 10_000)
    reg, _ = registry()
    with caplog.at_level(logging.ERROR, "actorcore.sources"):
        validate(reg, build_archive({"app.py": "#" * 20_000}))
    assert reg.loaded == {}
    assert "MAX_UNCOMPRESSED_BYTES" in caplog.text


def test_validated_source_from_a_non_authority_is_ignored_with_a_warning(caplog):
    reg, sent = registry()
    digest = reg.load(GOOD, "test.zip")
    with caplog.at_level(logging.WARNING, "actorcore.sources"):
        reg.on_validated(ValidatedSource(digest, GOOD), ActorAddress("intruder"))
    assert reg.loaded == {} and reg.is_pending(digest)
    assert "only the registered Source Authority" in caplog.text


def test_a_verdict_nobody_awaits_is_ignored(caplog):
    reg, _ = registry()
    digest = reg.load(GOOD, "test.zip")
    reg.unload(digest)  # unloaded while the authority was thinking
    with caplog.at_level(logging.WARNING, "actorcore.sources"):
        reg.on_validated(ValidatedSource(digest, GOOD), AUTHORITY)
        reg.on_validated(ValidatedSource("e" * 32, GOOD), AUTHORITY)  # never loaded
    assert reg.loaded == {}
    assert "no load of it awaits a verdict" in caplog.text


def test_rejection_settles_waiting_creates():
    reg, _ = registry()
    digest = reg.load(GOOD, "test.zip")
    calls = []
    reg.when_settled(digest, lambda: calls.append(digest in reg.loaded))
    reg.on_validated(ValidatedSource(digest, None), AUTHORITY)
    assert calls == [False]


def test_expired_wait_settles_waiting_creates():
    reg, _ = registry()
    digest = reg.load(GOOD, "test.zip")
    calls = []
    reg.when_settled(digest, lambda: calls.append("settled"))
    reg.expire(reg.deadline(digest) - 1)
    assert calls == []
    reg.expire(reg.deadline(digest) + 1)
    assert calls == ["settled"] and not reg.is_pending(digest)


def test_unload_announces_and_forgets():
    reg, sent = registry()
    digest = validate(reg, GOOD)
    reg.unload(digest)
    reg.unload("f" * 32)  # unknown: ignored
    assert reg.loaded == {} and reg.zip_for(digest) is None
    assert sent.to(WATCHER)[-1] == UnloadedSource(digest, "test.zip")


# -- conventions -----------------------------------------------------------------------
def test_zip_for_gives_the_validated_archive_and_info():
    reg, _ = registry()
    assert reg.zip_for("0" * 32) is None
    digest = validate(reg, GOOD)
    assert reg.zip_for(digest) == (GOOD, "test.zip")


@pytest.mark.parametrize(
    "value, from_leader, from_member",
    [
        (None, True, True),  # missing: Yes
        ("Yes", True, True),
        ("yes", True, True),
        ("LeaderOnly", True, False),
        ("leaderonly", True, False),
        ("No", False, False),
        ("NO", False, False),
        ("maybe", False, False),
        (1, False, False),
    ],
)
def test_install_remote_honours_allow_remote_actor_sources(value, from_leader, from_member):
    caps = {} if value is None else {"AllowRemoteActorSources": value}
    for origin_is_leader, expected in ((True, from_leader), (False, from_member)):
        reg = SourceRegistry(Sent(), caps)
        digest = source_hash(GOOD)
        assert reg.install_remote(digest, GOOD, "remote.zip", origin_is_leader) is expected
        assert (digest in reg.loaded) is expected
        reg.unload(digest)


def test_install_remote_skips_validation_notifies_and_settles():
    reg, sent = registry({"AllowRemoteActorSources": "Yes"})
    digest = reg.load(GOOD, "local.zip")  # also loaded locally, still awaiting a verdict
    calls = []
    reg.when_settled(digest, lambda: calls.append(digest in reg.loaded))
    assert reg.install_remote(digest, GOOD, "remote.zip", False)
    assert calls == [True]
    assert sent.to(WATCHER) == [LoadedSource(digest, "remote.zip")]
    assert len(sent.to(AUTHORITY)) == 1  # only the local load's ValidateSource
    assert reg.install_remote(digest, GOOD, "remote.zip", False)  # already there: True
    assert len(sent.to(WATCHER)) == 1


def test_install_remote_follows_capability_updates():
    caps = {"AllowRemoteActorSources": "No"}
    reg = SourceRegistry(Sent(), caps)
    digest = source_hash(GOOD)
    assert not reg.install_remote(digest, GOOD, None, True)
    caps["AllowRemoteActorSources"] = "Yes"  # updateCapability mutates the system's dict
    assert reg.install_remote(digest, GOOD, None, True)


def test_install_remote_refuses_a_bad_archive(caplog):
    reg, sent = registry()
    with caplog.at_level(logging.ERROR, "actorcore.sources"):
        assert not reg.install_remote("a" * 32, b"not a zip", "remote.zip", True)
    assert reg.loaded == {} and sent.to(WATCHER) == []
    assert "not a zip archive" in caplog.text


def test_policy_helper():
    assert remote_sources_policy({}) == "yes"
    assert remote_sources_policy({"AllowRemoteActorSources": " LeaderOnly "}) == "leaderonly"
    assert remote_sources_policy({"AllowRemoteActorSources": None}) == "no"
