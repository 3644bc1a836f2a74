"""A local Ray started by rayBase stays on this machine (issue 15 step 1)."""
from __future__ import annotations

import os
import subprocess

from actorcore.actors import Actor
from actorcore.testing import descendants, running_system


def _listening() -> list[tuple[str, str]]:
    """(address, owner) of every listening TCP socket of this process's descendants."""
    pids = descendants()
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        owners = [p for p in pids if f"pid={p}," in line]
        if owners:
            found.append((line.split()[3], str(owners[0])))
    return found


def test_the_node_and_every_listening_socket_are_on_loopback(local_ray):
    import ray

    assert [n["NodeManagerAddress"] for n in ray.nodes()] == ["127.0.0.1"]
    listening = _listening()
    assert listening, "found none of Ray's listening sockets"
    away = [(addr, pid) for addr, pid in listening
            if addr.rsplit(":", 1)[0] not in ("127.0.0.1", "[::ffff:127.0.0.1]", "[::1]")]
    assert away == []


class EnvReporter(Actor):
    def receiveMessage(self, msg, sender):
        if msg == "env":
            self.send(sender, (os.environ.get("RAY_USAGE_STATS_ENABLED"),
                               "ACTORCORE_SECRET" in os.environ))


def test_usage_stats_are_off_and_the_secret_is_out_in_rays_processes(local_ray):
    # processes that retitle themselves ("ray::...") may show a rewritten
    # environment block in /proc: an actor's process says what it has itself
    with running_system("rayBase", limit=0) as asys:
        assert asys.ask(asys.createActor(EnvReporter), "env", 60) == ("0", False)
    for pid in descendants():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if fh.read().startswith(b"ray::"):
                    continue
            with open(f"/proc/{pid}/environ", "rb") as fh:
                env = dict(kv.split(b"=", 1) for kv in fh.read().split(b"\0") if b"=" in kv)
        except OSError:
            continue
        assert env.get(b"RAY_USAGE_STATS_ENABLED") == b"0", pid
        assert b"ACTORCORE_SECRET" not in env, pid


def test_the_secret_stays_in_this_process():
    # the check above would pass vacuously if the test run set no secret
    assert os.environ.get("ACTORCORE_SECRET")
