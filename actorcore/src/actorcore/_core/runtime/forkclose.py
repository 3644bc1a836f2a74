"""What a process forked from the admin lets go of before anything else.

Actor processes (and the spare made ahead of a create) are forked from their
admin, so each would start with a copy of every socket the admin held at
that moment: the listening Admin Port, its links to programs, to its other
actors and to other admins. A copy keeps a socket open after the admin
closes it: a program or an intruder the admin dropped would see no end of
its connection while an actor lives, each actor would hold one descriptor
more per connection of the admin, and an admin that dies would leave its
port bound by its actors until they are gone.

The same goes for the admin's ends of its other actors' sentinel pipes
(one more inherited descriptor per actor started before: the thousandth
actor would hold a thousand).

The admin's transport lists its own sockets (``own_sockets``, an optional
member: see actorcore._core.transport), the supervisor its sentinels; a
handler run in every child forked from the admin's process closes them
there, before the child runs any code of ours. The sockets are detached from
their objects before being closed, so an object the child still reaches
cannot close a descriptor number later reused; the sentinels' owners
(multiprocessing's process objects) are never used in the child, whose
start clears their finalizers.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterable

from ..transport import optional


def in_forked_children(transport: Any, fds: Callable[[], Iterable[int]]) -> None:
    """From now on, a process forked from this one (the admin's) closes
    ``transport``'s own sockets and the descriptors ``fds()`` returns, at once."""
    own = optional(transport, "own_sockets")
    admin = os.getpid()

    def close_them() -> None:
        # a child's own children (an actor that forks) have closed them already
        if os.getppid() != admin:
            return
        for sock in list(own()) if own is not None else ():
            try:
                fd = sock.detach()
            except OSError:
                continue
            if fd >= 0:
                _close(fd)
        for fd in list(fds()):
            _close(fd)

    os.register_at_fork(after_in_child=close_them)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
