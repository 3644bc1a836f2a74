"""Actor processes are forked from their admin, yet hold none of its sockets
(actorcore._core.runtime.forkclose): not the Admin Port, not the admin's
end of another process's connection."""
from __future__ import annotations

import pytest

from actorcore.actors import Thespian_StatusReq

from .actors.processes import Sleeper
from .helpers import WAIT, socket_inodes

pytestmark = pytest.mark.requires("admin_port", reason="the admin's own sockets are found by its Admin Port")


def _admin_port_sockets(port: int) -> set[str]:
    """Inodes of the sockets bound to ``port`` (the listener, the ends the
    admin accepted, a UDP admin's socket) and of the admin's Unix listener
    beside it and the ends accepted there (docs/tcp.md, "Local peers")."""
    inodes = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/net/{table}") as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    with open("/proc/net/unix") as fh:
        for row in fh.read().splitlines()[1:]:
            cols = row.split()
            if len(cols) >= 8 and cols[7].startswith("@actorcore-") and cols[7].endswith(f":{port}"):
                inodes.add(cols[6])
    return inodes


def test_actor_processes_hold_none_of_their_admins_sockets(asys):
    port = asys.capabilities["Admin Port"]
    first = asys.createActor(Sleeper)
    first_pid = asys.ask(first, "pid", WAIT)
    # the admin now holds its end of the first actor's link too; the second
    # actor is forked after that
    second = asys.createActor(Sleeper)
    second_pid = asys.ask(second, "pid", WAIT)
    admin_pid = asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]
    admins = _admin_port_sockets(port) & socket_inodes(admin_pid)
    assert admins, "found none of the admin's sockets to look for"
    for pid in (first_pid, second_pid):
        held = socket_inodes(pid) & admins
        assert not held, f"actor process {pid} holds {len(held)} of its admin's sockets"
