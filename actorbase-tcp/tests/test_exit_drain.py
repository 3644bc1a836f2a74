"""An exiting actor on TCP reads on until its admin's ExitNoted (the
transport's ``drain_on_exit``): it must wait for it asleep, not spin. The
runtime had closed its signal wake-up pipe before that wait while the
transport still polled it; a closed descriptor is always "ready", so every
exiting actor ran its CPU flat out until the admin answered, and 200 actors
told to exit at once starved their admin on a small machine."""
from __future__ import annotations

import os
import signal
import time

from actorcore.actors import ActorExitRequest, Thespian_StatusReq
from actorcore.testing import free_port, until
from tests.actors.processes import ExitMarker
from tests.helpers import WAIT
from tests.security.attack import guarded_system, serving

WINDOW = 1.0  # seconds the exiting actor waits for its (stopped) admin


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except OSError:
        return True


def test_an_exiting_actor_waits_for_its_admin_asleep(tmp_path):
    with guarded_system("multiprocTCPBase", free_port(), tmp_path / "admin.log") as asys:
        admin = asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]
        actor = asys.createActor(ExitMarker)
        marker = tmp_path / "exiting"
        pid = asys.ask(actor, ("mark", str(marker)), WAIT)
        assert asys.ask(actor, ("mark", str(marker)), WAIT) == pid  # the direct link is up
        os.kill(admin, signal.SIGSTOP)  # ExitNoted cannot come: the actor waits for it
        try:
            asys.tell(actor, ActorExitRequest())
            until(marker.exists, WAIT)  # the actor has its exit request
            time.sleep(0.2)  # past its handler, into the wait
            cpu = _cpu_seconds(pid)
            time.sleep(WINDOW)
            used = _cpu_seconds(pid) - cpu
            assert not _gone(pid), "the actor did not wait for its admin"
        finally:
            os.kill(admin, signal.SIGCONT)
        assert used < WINDOW / 3, f"the exiting actor used {used:.2f} s of CPU in {WINDOW} s of waiting"
        until(lambda: _gone(pid), WAIT)  # and ends once its admin answers
        assert serving(asys)
