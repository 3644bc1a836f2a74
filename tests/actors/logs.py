"""Actors that log, or fail so that their failure is logged."""
from __future__ import annotations

import logging
import os

from actorcore.actors import Actor


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


class FailsLoudly(Actor):
    def receiveMessage(self, message, sender):
        raise KeyError("logged failure")


class Talker(Actor):
    """Logs through the root logger and through self.logger(), then replies."""

    def receiveMessage(self, message, sender):
        import logging

        if message == "log":
            logging.getLogger().info("root record %s", 42)
            self.logger("talker").warning("adapter record")
            logging.getLogger("talker.debug").debug("below the threshold")
            self.send(sender, "logged")
        elif message == "pid":
            self.send(sender, os.getpid())


class Failing(Actor):
    """Raises, with the message's text in the exception (a traceback to find in a log)."""

    def receiveMessage(self, message, sender):
        if isinstance(message, str) and message.startswith("fail "):
            raise RuntimeError(message)
        self.send(sender, message)
