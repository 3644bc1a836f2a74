"""docs/api.md §2.14, §7: Actor.logger()."""
from __future__ import annotations

import logging
import uuid

import pytest

from .actors.logs import FailsLoudly, Logs
from .helpers import WAIT


def test_logger_returns_adapter(asys):
    is_adapter, is_root, name = asys.ask(asys.createActor(Logs), "adapter?", WAIT)
    assert is_adapter
    assert is_root
    assert name == "tests.some.name"


def test_records_carry_actor_address(asys):
    name = "tests.capture." + uuid.uuid4().hex
    *records, me = asys.ask(asys.createActor(Logs), ("log", name), WAIT)
    assert records == [("hello there", me)]


@pytest.mark.requires(multiprocess=False, reason="records of actor processes are emitted in "
                                               "the logger process, not the test's")
def test_records_visible_to_caplog_on_in_process_base(asys, caplog):
    a = asys.createActor(Logs)
    with caplog.at_level(logging.DEBUG):
        asys.ask(a, ("log", "tests.caplog"), WAIT)
    recs = [r for r in caplog.records if r.name == "tests.caplog"]
    assert recs and recs[0].actorAddress == str(a)


@pytest.mark.requires(multiprocess=False, reason="records of actor processes are emitted in "
                                               "the logger process, not the test's")
def test_handler_exceptions_are_logged_on_in_process_base(asys, caplog):
    """§5.4: warning (with traceback) on the first failure, error on the second,
    through the actor's logger (named after the actor class)."""
    a = asys.createActor(FailsLoudly)
    with caplog.at_level(logging.DEBUG):
        asys.ask(a, "x", WAIT)
    recs = [r for r in caplog.records if r.name == "FailsLoudly"]
    levels = [r.levelno for r in recs]
    assert logging.WARNING in levels and logging.ERROR in levels, levels
    assert any(r.exc_info for r in recs if r.levelno == logging.WARNING)
