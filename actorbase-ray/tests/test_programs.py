"""rayBase from programs (issue 15 step 6 and its bad input): a second program
attaches to a running system by its Ray Namespace; a Ray Address nothing
answers at fails the start, naming it, in bounded time; a system whose Ray
was shut down under it says so on its next call, and its shutdown does not
hang. Each program runs in a process of its own, as a user's would."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap

import pytest
from programs_actors import Greeter

from actorcore.actors import ActorSystem, ActorSystemStartupFailure
from actorcore.testing import descendants, free_port, running_system, wait_no_descendants

HERE = os.path.dirname(os.path.abspath(__file__))
LIMIT = 120


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    before = descendants()
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args],
                          cwd=HERE, capture_output=True, text=True, timeout=LIMIT,
                          stdin=subprocess.DEVNULL)
    left = wait_no_descendants(before, 30.0)
    assert not left, f"the program left processes: {sorted(left)}"
    return done


SECOND = """
    import json, sys
    from actorcore.actors import ActorSystem
    address, ns = sys.argv[1], sys.argv[2]
    asys = ActorSystem("rayBase", {"Ray Address": address, "Ray Namespace": ns}, logDefs=False)
    g = asys.createActor("programs_actors.Greeter", globalName="greeter")
    print(json.dumps([str(g), asys.ask(g, "hi", 60)]))
    # no shutdown(): this program only attached; the system goes on without it
"""


def test_a_second_program_attaches_by_namespace_and_reaches_the_same_actor(local_ray):
    from actorbase_ray.start import gcs_address

    ns = f"attach{secrets.token_hex(4)}"
    with running_system("rayBase", {"Ray Namespace": ns}, limit=0) as asys:
        g = asys.createActor(Greeter, globalName="greeter")
        assert asys.ask(g, "hi", 60) == ("hello", 1)
        done = _run(SECOND, str(gcs_address()), ns)
        assert done.returncode == 0, done.stderr[-3000:]
        addr, reply = json.loads(done.stdout.strip().splitlines()[-1])
        assert addr == str(g)
        assert reply == ["hello", 2]  # the same actor: its count went on
        assert asys.ask(g, "hi", 60) == ("hello", 3)  # and the first program still has it


def test_a_ray_address_nothing_answers_at_fails_the_start_naming_it():
    code = """
        import sys, time
        from actorcore.actors import ActorSystem, ActorSystemStartupFailure
        started = time.monotonic()
        try:
            ActorSystem("rayBase", {"Ray Address": sys.argv[1]}, transientUnique=True)
        except ActorSystemStartupFailure as exc:
            print("refused:", exc)
        print("seconds:", round(time.monotonic() - started))
    """
    address = f"127.0.0.1:{free_port()}"
    done = _run(code, address)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"refused: rayBase could not start: nothing answers at Ray Address '{address}'" in done.stdout


def test_a_second_ray_address_in_one_process_is_refused(local_ray):
    with pytest.raises(ActorSystemStartupFailure, match="one Ray connection"):
        ActorSystem("rayBase", {"Ray Address": f"127.0.0.1:{free_port()}"}, transientUnique=True)


def test_ray_shut_down_under_a_system_is_said_on_the_next_call_and_shutdown_ends():
    code = """
        import ray
        from actorcore.actors import ActorSystem, ActorSystemFailure
        from programs_actors import Greeter
        asys = ActorSystem("rayBase", transientUnique=True, logDefs=False)
        g = asys.createActor(Greeter)
        print("before:", asys.ask(g, "hi", 60))
        ray.shutdown()
        try:
            asys.ask(g, "hi", 5)
        except ActorSystemFailure as exc:
            print("after:", exc)
        asys.shutdown()
        print("ended")
    """
    done = _run(code)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "before: ('hello', 1)" in lines
    assert any(line.startswith("after: Ray was shut down under this rayBase system") for line in lines)
    assert lines[-1] == "ended"


OWN = """
    import ray
    from actorcore.actors import ActorSystem
    asys = ActorSystem("rayBase", transientUnique=True, logDefs=False)
    print(ray.get_runtime_context().gcs_address)
    asys.shutdown()
"""


def test_a_local_start_is_a_ray_of_its_own_whatever_runs_beside_it(local_ray):
    """Without a Ray Address, ray.init would join the Ray in RAY_ADDRESS or the
    one started last on this machine (another program's): a rayBase system
    started without one starts a Ray of its own."""
    from actorbase_ray.start import gcs_address

    beside = gcs_address()
    assert beside
    before = descendants()
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(OWN)], cwd=HERE,
                          capture_output=True, text=True, timeout=LIMIT, stdin=subprocess.DEVNULL,
                          env={**os.environ, "RAY_ADDRESS": beside})
    left = wait_no_descendants(before, 30.0)
    assert not left, f"the program left processes: {sorted(left)}"
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] != beside, "the program joined the Ray running beside it"
