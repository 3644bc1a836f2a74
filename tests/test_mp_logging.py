"""Logging across processes: records reach the one logger configured by logDefs,
and SIGUSR1 makes a process write its status to the internal log."""
from __future__ import annotations

import os
import signal
import time

import pytest

from actorcore.actors import ActorSystem
from actorcore.testing import descendants
from actorcore.testing import test_capabilities as caps_for

from .mp_actors import Talker

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
