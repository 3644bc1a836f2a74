"""A local Ray started by rayBase stays on this machine (issue 15 step 1)."""
from __future__ import annotations

import os
import subprocess
import time

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


_SECOND_RAY = r"""
import json, subprocess, sys, time
sys.path[:0] = json.loads(sys.argv[1])
import ray
from actorbase_ray.start import start_local
from actorcore.testing import descendants
from ray_listeners import listeners
start_local()
try:
    # Ray's head starts its autoscaler (monitor.py) after ray.init returns:
    # on a busy machine it may not listen yet
    deadline = time.monotonic() + 60
    while True:
        found = listeners(descendants())
        if "monitor.py" in {kind for _port, kind in found} or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    print(json.dumps(found))
finally:
    ray.shutdown()
"""


def test_two_local_rays_side_by_side_share_no_port(local_ray):
    # A fixed port (Ray's dashboard 8265, the autoscaler's metrics 44217)
    # would be taken by the first Ray and missed, or fought over, by the second.
    import json
    import sys

    from ray_listeners import listeners

    deadline = time.monotonic() + 60
    while True:  # as in _SECOND_RAY: the autoscaler may not listen yet
        first = listeners(descendants())
        if "monitor.py" in {kind for _port, kind in first} or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    out = subprocess.run([sys.executable, "-c", _SECOND_RAY, json.dumps(sys.path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    second = [tuple(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]
    for ray_listeners in (first, second):
        kinds = {kind for _port, kind in ray_listeners}
        # each Ray's head has its listeners, the autoscaler's metrics server among them ...
        assert {"gcs_server", "raylet", "monitor.py"} <= kinds, ray_listeners
        # ... and no dashboard one: a local start has none
        assert "dashboard.py" not in kinds and 8265 not in {p for p, _k in ray_listeners}
    assert not {p for p, _k in first} & {p for p, _k in second}
