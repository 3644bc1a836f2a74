"""docs/api.md §2.14, §7: Actor.logger()."""
from __future__ import annotations

import logging
import uuid

import pytest

from actorcore.actors import Actor

from .helpers import WAIT


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


class Logs(Actor):
    """Captures its own records on a named logger inside its own process,
    so the check works whichever process the actor runs in."""

    def receiveMessage(self, message, sender):
        if message == "adapter?":
            ad = self.logger()
            named = self.logger("tests.some.name")
            self.send(sender, (isinstance(ad, logging.LoggerAdapter),
                               ad.logger is logging.getLogger(),
                               named.logger.name))
        elif isinstance(message, tuple) and message[:1] == ("log",):
            name = message[1]
            lg = logging.getLogger(name)
            h = _ListHandler()
            lg.addHandler(h)
            lg.setLevel(logging.DEBUG)
            try:
                self.logger(name).warning("hello %s", "there")
            finally:
                lg.removeHandler(h)
            self.send(sender, [(r.getMessage(), getattr(r, "actorAddress", None)) for r in h.records]
                      + [str(self.myAddress)])


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


class FailsLoudly(Actor):
    def receiveMessage(self, message, sender):
        raise KeyError("logged failure")


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
