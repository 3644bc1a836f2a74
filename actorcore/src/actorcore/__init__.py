"""actorcore: Thespian-compatible actors on a plugin architecture.

Three modules are the declared surfaces: :mod:`actorcore.actors` for
users (with the Thespian-compatible :mod:`actorcore.troupe`,
:mod:`actorcore.initmsgs` and :mod:`actorcore.transient`), :mod:`actorcore.plugin`
for the authors of system bases, :mod:`actorcore.testing` for tests.
Everything else lives in :mod:`actorcore._core`, which is private: it may
change in any release. (Also public: :mod:`actorcore.logsetup`'s formatter,
named in logging configurations, and the ``actorcore`` command.)
"""
from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger("actorcore").addHandler(logging.NullHandler())
