"""What a multiprocess system hands a process it starts: the admin's
configuration and an actor's boot record.

Both cross into the new process by pickle (the ``spawn`` start method, and
the pipe to a spare process) or by fork, so they hold plain, picklable
values only, and their classes live here at module level where the new
process can import them. Built once, read by attribute, never changed:
who needs a different one builds it with :func:`attrs.evolve`.
"""
from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class AdminConfig:
    """What the creating process tells the admin it starts (``admin_main``)."""

    #: The system base's name (``multiprocTCPBase``...), for logging set-up.
    base_name: str
    #: The system's capabilities as the creating process settled them. The
    #: admin takes this dict as its own and updates it as capabilities change.
    capabilities: dict[str, Any]
    #: The caller's ``logDefs`` (a ``logging.config.dictConfig`` dict) for the
    #: admin's logger; None: the default.
    logDefs: Any
    #: The lowest level those logDefs name: what actors forward to the admin.
    log_threshold: int
    #: The creating process's pid; an admin that is not shared stops when it goes.
    client_pid: int
    #: The ``multiprocessing`` start method for actor processes.
    start_method: str
    #: The admin outlives its creator, which attaches to it (UDP, TCP).
    shared: bool
    #: Where the admin sends ``AdminReady`` or ``AdminFailed`` (the creating
    #: process's control endpoint); None for a shared admin, which answers
    #: ``Attach`` requests instead.
    client: Any = None


@attrs.frozen
class ActorBoot:
    """What the admin tells an actor process it starts (``actor_main``)."""

    #: The actor's address details.
    id: Any
    #: The admin's address details and pid (the actor ends when its admin does).
    admin: Any
    admin_pid: int
    #: The ``multiprocessing`` start method this process was started with.
    start_method: str
    #: The parent actor's address details; None: the system created it.
    parent: Any
    #: The actor class, as ``module.QualName``.
    spec: str
    #: The requirements given to createActor.
    requirements: Any
    globalName: str | None
    sourceHash: str | None
    #: The loaded source's zip to import ``spec`` from (None: import it as installed).
    sourceZip: bytes | None
    #: The admin's capabilities when the actor was created (a copy).
    capabilities: dict[str, Any]
    #: The lowest level the admin logs: records below it are not forwarded.
    log_threshold: int
    #: What the addresses of this system's clients start with, when the admin's
    #: transport says (they are on this host: big messages to them may go
    #: through shared memory).
    clients: str | None = None
