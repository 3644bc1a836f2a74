"""Logging across processes: records reach the one logger configured by logDefs,
and SIGUSR1 makes a process write its status to the internal log."""
from __future__ import annotations

import os
import signal
import time

import pytest

from actorcore.actors import ActorSystem
from actorcore.testing import capabilities_for as caps_for
from actorcore.testing import descendants, until

from .actors.logs import Failing, Talker

WAIT = 10
pytestmark = pytest.mark.multiprocess_only("logs of actor processes are forwarded to the admin")


def _log_defs(path):
    return {
        "version": 1,
        "formatters": {"f": {"format": "%(levelname)s|%(name)s|%(actorAddress)s|%(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(path),
                              "formatter": "f", "level": "INFO"}},
        "root": {"handlers": ["file"], "level": "INFO"},
    }


def test_actor_records_reach_the_configured_handler(asys_base, asys_info, tmp_path):
    path = tmp_path / "actors.log"
    before = descendants()
    system = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=_log_defs(path),
                         transientUnique=True)
    try:
        talker = system.createActor(Talker)
        assert system.ask(talker, "log", WAIT) == "logged"
    finally:
        system.shutdown()
    assert not (descendants() - before)
    lines = path.read_text().splitlines()
    assert any(line.startswith("INFO|root|ActorAddr-") and line.endswith("root record 42")
               for line in lines), lines
    assert any(line.startswith("WARNING|talker|ActorAddr-") and "adapter record" in line
               for line in lines), lines
    assert not any("below the threshold" in line for line in lines)


def test_an_invalid_logdefs_fails_at_construction(asys_base, asys_info):
    before = descendants()
    bad = {"version": 1, "handlers": {"h": {"class": "no.such.Handler"}}}
    with pytest.raises(ValueError, match="dictConfig"):
        ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=bad, transientUnique=True)
    assert not (descendants() - before)


def test_sigusr1_status_dump(asys_base, asys_info, tmp_path, monkeypatch):
    internal = tmp_path / "internal.log"
    monkeypatch.setenv("THESPLOG_FILE", str(internal))
    before = descendants()
    system = ActorSystem(asys_base, capabilities=caps_for(asys_info), logDefs=False,
                         transientUnique=True)
    try:
        talker = system.createActor(Talker)
        pid = system.ask(talker, "pid", WAIT)
        os.kill(pid, signal.SIGUSR1)
        assert system.ask(talker, "pid", WAIT) == pid  # still serving after the dump
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if internal.exists() and "Talker" in internal.read_text():
                break
            time.sleep(0.05)
        text = internal.read_text()
        assert f"p{pid} WARNING status:" in text and "Talker" in text
    finally:
        system.shutdown()
    assert not (descendants() - before)


@pytest.mark.requires("shared", "admin_port")
def test_a_detached_admin_with_default_logdefs_logs_to_the_file_it_names(
        asys_base, asys_info, tmp_path, monkeypatch, capfd):
    """A shared admin outlives its program with /dev/null for stderr: with
    logDefs left at its default, an actor's traceback goes to the file that
    start-up printed (docs/logging.md), not nowhere."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    before = descendants()
    caps = caps_for(asys_info)
    system = ActorSystem(asys_base, capabilities=caps, transientUnique=True)
    try:
        expected = tmp_path / "actorcore" / f"{asys_base}-{caps['Admin Port']}.log"
        assert f"logs to {expected}" in capfd.readouterr().err
        failing = system.createActor(Failing)
        assert system.ask(failing, "fail marker-7f3a", WAIT) is not None  # the PoisonMessage
        text = until(lambda: expected.exists() and "marker-7f3a" in expected.read_text()
                     and expected.read_text(), WAIT)
        assert "Traceback (most recent call last)" in text
        assert "RuntimeError: fail marker-7f3a" in text
    finally:
        system.shutdown()
    assert not (descendants() - before)
