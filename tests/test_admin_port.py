"""The Admin Port (docs/api.md §6.3): another program that names it attaches to
the running system and may stop it; a bad value, or a port something else
holds, stops start-up with a clear error. Runs on every base that declares
``admin_port`` (and ``shared``, for the tests where another program attaches);
each base's own tests folder checks what its transport makes of bad bytes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from actorcore import testing
from actorcore._core.runtime.procs import pid_alive
from actorcore.actors import ActorSystem, ActorSystemStartupFailure, Thespian_StatusReq
from actorcore.testing import descendants, until, wait_no_descendants

from .actors.basic import Echo
from .helpers import WAIT


def _program(asys_base, asys_info, port: int, body: str) -> subprocess.CompletedProcess:
    """Run ``body`` in another program attached to the system on ``port``."""
    caps = {**testing.capabilities_for(asys_info), "Admin Port": port}
    code = textwrap.dedent(f"""
        from actorcore.actors import ActorSystem
        asys = ActorSystem({asys_base!r}, {caps!r}, logDefs=False, transientUnique=True)
    """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=os.environ.copy())


@pytest.mark.requires("admin_port", "shared")
def test_another_program_attaches_and_talks_to_the_same_actors(asys, asys_base, asys_info):
    named = asys.createActor(Echo, globalName="shared-echo")
    out = _program(asys_base, asys_info, asys.capabilities["Admin Port"], """
        from tests.actors.basic import Echo
        addr = asys.createActor(Echo, globalName="shared-echo")
        print(asys.ask(addr, "from the other program", 10))
        mine = asys.createActor(Echo)
        print(asys.ask(mine, b"x" * 300000, 10) == b"x" * 300000)
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["from the other program", "True"]
    assert asys.ask(named, "still mine", WAIT) == "still mine"  # the other program left; we go on


@pytest.mark.requires("admin_port", "shared")
def test_shutdown_from_another_program_stops_the_system(asys_base, asys_info):
    caps = testing.capabilities_for(asys_info)
    with testing.running_system(asys_base, caps) as system:
        admin_pid = system.ask(system.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]
        out = _program(asys_base, asys_info, caps["Admin Port"], "asys.shutdown()\n")
        assert out.returncode == 0, out.stderr
        assert until(lambda: not pid_alive(admin_pid), WAIT), "the admin did not stop"


@pytest.mark.requires("admin_port")
def test_a_port_held_by_something_else_says_so(asys_base, asys_info):
    """Something that is not an admin of ours holds the port (a socket of the
    base's protocol, listening where that protocol listens)."""
    kind = socket.SOCK_DGRAM if asys_info.admin_port == "udp" else socket.SOCK_STREAM
    before = descendants()
    with socket.socket(socket.AF_INET, kind) as holder:
        holder.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            holder.listen(1)
        port = holder.getsockname()[1]
        with pytest.raises(ActorSystemStartupFailure, match=f"{port}.*not an actorcore"):
            ActorSystem(asys_base, {"Admin Port": port}, logDefs=False, transientUnique=True)
    assert not wait_no_descendants(before)
