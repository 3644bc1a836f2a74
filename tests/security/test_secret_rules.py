"""The secret on every base whose network peers must hold it (docs/api.md §9.4):
where it is taken from, where it never shows, and the safe default for
listening beyond loopback."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from actorcore import testing
from actorcore._core.keys import INSECURE_ENV, SECRET_CAPABILITY, SECRET_ENV
from actorcore.actors import ActorSystem, ActorSystemStartupFailure
from actorcore.testing import descendants, wait_no_descendants

from ..actors.processes import Doomed

WAIT = 15
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def net(asys_base, asys_info):
    """The base under test, if its network peers must hold the secret."""
    testing.require(asys_info, "authenticated")
    before = descendants()
    started = []

    def start(caps=None, **kw):
        system = ActorSystem(asys_base, {**testing.capabilities_for(asys_info), **(caps or {})},
                             transientUnique=True, **kw)
        started.append(system)
        return system

    yield start
    for system in started:
        system.shutdown()
    assert not wait_no_descendants(before)


def _proc(pid: int, what: str) -> bytes:
    with open(f"/proc/{pid}/{what}", "rb") as fh:
        return fh.read()


_SHOWS = textwrap.dedent("""
    import json, sys
    from actorcore.actors import ActorSystem, Thespian_StatusReq
    from tests.actors.processes import Doomed
    base, caps, log_defs = json.loads(sys.stdin.readline())
    asys = ActorSystem(base, caps, logDefs=log_defs, transientUnique=True)
    actors = [asys.createActor(Doomed) for _ in range(2)]
    status = asys.ask(asys.systemAddress, Thespian_StatusReq(), 15)
    pids = [asys.ask(a, "pid", 15) for a in actors] + [status.miscKeyVals["pid"]]
    print(json.dumps({"pids": pids, "shown": repr(status) + repr(asys.capabilities)}), flush=True)
    sys.stdin.read()
    for a in actors:
        asys.tell(a, "exit")  # an actor's death is logged: the log is not empty
    asys.shutdown()
""")


def test_the_secret_is_in_no_status_log_command_line_or_environment(asys_base, asys_info, net, tmp_path):
    """A program started with ACTORCORE_SECRET in its environment and a
    Convention Secret capability: neither shows in status, the log, or the
    command line and environment of the admin and actor processes."""
    import json

    by_capability = "the capability's secret: 0123456789abcdef"
    by_env = "the environment's secret: fedcba9876543210"
    log = tmp_path / "system.log"
    log_defs = testing.log_to_file(log, "DEBUG")
    caps = {**testing.capabilities_for(asys_info), SECRET_CAPABILITY: by_capability}
    # the capability goes in on stdin: forked processes show their program's argv
    program = subprocess.Popen([sys.executable, "-c", _SHOWS], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, SECRET_ENV: by_env})
    try:
        program.stdin.write(json.dumps([asys_base, caps, log_defs]) + "\n")
        program.stdin.flush()
        told = json.loads(program.stdout.readline())
        assert SECRET_CAPABILITY not in told["shown"]
        for pid in told["pids"]:
            for secret in (by_capability, by_env):
                assert secret not in told["shown"]
                assert secret.encode() not in _proc(pid, "cmdline")
                assert secret.encode() not in _proc(pid, "environ"), f"in the environment of {pid}"
        assert b"ACTORCORE_SECRET=" in _proc(told["pids"][-1], "environ")  # scrubbed, not absent
    finally:
        program.stdin.close()
        assert program.wait(60) == 0
    # a shared (UDP, TCP) admin writes its log in its own process, which may
    # still be closing after the program's shutdown returned: wait, bounded
    text = testing.until(log.read_text, 15.0)
    assert by_capability not in text and by_env not in text


def test_a_short_secret_is_a_value_error_naming_the_rule(net):
    with pytest.raises(ValueError, match="at least 16 bytes"):
        net({SECRET_CAPABILITY: "too short"})


def test_listening_beyond_loopback_needs_a_secret_given_on_purpose(net, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)  # only the per-user file is left
    monkeypatch.setenv("THESPIAN_BASE_IPADDR", "0.0.0.0")
    before = descendants()
    with pytest.raises(ActorSystemStartupFailure, match=f"{SECRET_CAPABILITY}.*{SECRET_ENV}"):
        net()
    assert not wait_no_descendants(before)  # a refused start leaves nothing running


def test_the_opt_out_starts_anyway_and_warns(net, monkeypatch, caplog):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.setenv("THESPIAN_BASE_IPADDR", "0.0.0.0")
    monkeypatch.setenv(INSECURE_ENV, "1")
    with caplog.at_level(logging.WARNING, logger="actorcore.security"):
        system = net(logDefs=False)
    assert "starting anyway" in caplog.text
    echo = system.createActor(Doomed)
    assert isinstance(system.ask(echo, "pid", WAIT), int)


def test_with_a_secret_it_serves_on_every_interface(net, monkeypatch):
    monkeypatch.setenv("THESPIAN_BASE_IPADDR", "0.0.0.0")
    system = net({SECRET_CAPABILITY: "a secret given on purpose, 32 b"}, logDefs=False)
    actor = system.createActor(Doomed)
    assert isinstance(system.ask(actor, "pid", WAIT), int)


def _attach(base: str, port: int, config_home: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        from actorcore.actors import ActorSystem
        from tests.actors.processes import Doomed
        asys = ActorSystem({base!r}, {{"Admin Port": {port}}}, logDefs=False, transientUnique=True)
        print(type(asys.ask(asys.createActor(Doomed), "pid", 15)).__name__)
    """)
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    env["XDG_CONFIG_HOME"] = config_home
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env, cwd=ROOT)


def test_programs_of_one_user_attach_with_no_configuration_and_others_are_locked_out(
        net, asys_base, tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    mine = tmp_path / "mine"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(mine))
    system = net(logDefs=False)
    assert (mine / "actorcore" / "secret").exists()  # made on first use
    port = system.capabilities["Admin Port"]
    same_user = _attach(asys_base, port, str(mine))
    assert same_user.returncode == 0, same_user.stderr
    assert same_user.stdout.strip() == "int"
    other_user = _attach(asys_base, port, str(tmp_path / "someone else"))
    assert other_user.returncode != 0
    assert "authentication failed" in other_user.stderr


@pytest.mark.parametrize("why", ["short secret", "logDefs", "beyond loopback"])
def test_a_start_up_that_fails_leaves_no_process_behind(net, monkeypatch, why):
    before = descendants()
    caps, log_defs = {}, False
    if why == "short secret":
        caps[SECRET_CAPABILITY] = "short"
    elif why == "logDefs":
        log_defs = {"version": 1, "handlers": {"h": {"class": "no.such.Handler"}}}
    else:
        monkeypatch.delenv(SECRET_ENV, raising=False)
        monkeypatch.setenv("THESPIAN_BASE_IPADDR", "0.0.0.0")
    with pytest.raises((ValueError, ActorSystemStartupFailure)):
        net(caps, logDefs=log_defs)
    assert not wait_no_descendants(before)
