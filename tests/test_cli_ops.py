"""``actorcore start | status | shutdown | metrics`` run as a user runs them
(docs/operations.md): in child processes, against systems they started,
each on a free port, with every process gone afterwards."""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from actorcore import cli, testing
from actorcore._core.ops import attach
from actorcore._core.runtime.procs import pid_alive
from actorcore._core.survey import SCHEMA
from actorcore.actors import ActorSystem
from actorcore.testing import descendants, until, wait_no_descendants

from .actors.observed import Counted
from .helpers import WAIT, collected

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "operations.md"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "actorcore", *args],
        env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, cwd=ROOT,  # the admin it starts imports tests.actors from here
    )


@contextmanager
def started(info: Any, *extra: str, port: int | None = None, check: bool = True) -> Iterator[int]:
    """A system started by ``actorcore start``, stopped by ``actorcore shutdown``;
    with ``check``, fails the test if any process started meanwhile is left
    (systems started inside this one's block leave it unchecked: theirs
    would count)."""
    before = descendants()
    port = port or testing.admin_port_for(info)
    proc = run_cli("start", "--base", info.name, "--port", str(port), *extra)
    assert proc.returncode == 0, proc.stderr
    try:
        yield port
    finally:
        stop = run_cli("shutdown", "--port", str(port), "--base", info.name)
        assert stop.returncode == 0, stop.stderr
        assert not (check and wait_no_descendants(before)), "processes left after actorcore shutdown"


@contextmanager
def attached(info: Any, port: int) -> Iterator[Any]:
    """This test process as one more program on the system (let go of, not stopped)."""
    asys = ActorSystem(info.name, {"Admin Port": port}, logDefs=False, transientUnique=True)
    try:
        yield asys
    finally:
        attach.detach(asys)


def some_actors(asys: Any) -> dict[str, Any]:
    """A parent with two children, a sink; known counters on each."""
    parent = asys.createActor(Counted, globalName="the-parent")
    kids = asys.ask(parent, ("kids", 2), WAIT)
    sink = asys.createActor("tests.actors.basic.Collector")
    assert asys.ask(kids[0], ("send", sink, 3), WAIT) == "sent"
    assert asys.ask(kids[1], "boom", WAIT) == "survived"
    assert asys.ask(parent, ("sleep later",), WAIT) == "armed"
    collected(asys, sink, lambda got: len(got) == 3)
    return {"parent": parent, "kids": kids, "sink": sink}


# -- the JSON schema, as docs/operations.md gives it ------------------------------
_TYPES = {"string": str, "number": (int, float), "integer": int, "boolean": bool,
          "object": dict, "array": list, "null": type(None)}


def documented_schema() -> dict[str, dict[str, tuple[type, ...]]]:
    """The key tables of docs/operations.md ("#### snapshot", "system", "member", "actor")."""
    tables: dict[str, dict[str, tuple[type, ...]]] = {}
    current = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#### (\w+)$", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
            continue
        row = re.match(r"\| `(\w+)` \| ([a-z ]+) \|", line)
        if row and current is not None:
            kinds: list[type] = []
            for word in row.group(2).split(" or "):
                found = _TYPES[word.strip()]
                kinds.extend(found if isinstance(found, tuple) else (found,))
            current[row.group(1)] = tuple(kinds)
    assert set(tables) == {"snapshot", "system", "member", "actor"}, tables.keys()
    return tables


def check_schema(snapshot: dict[str, Any]) -> None:
    schema = documented_schema()

    def check(obj: dict[str, Any], table: str) -> None:
        for key, kinds in schema[table].items():
            assert key in obj, f"{table} lacks {key!r}"
            value = obj[key]
            ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
            assert ok, f"{table}.{key} = {value!r} is not {kinds}"

    check(snapshot, "snapshot")
    assert snapshot["schema"] == SCHEMA
    for system in snapshot["systems"]:
        check(system, "system")
        for member in system["members"]:
            check(member, "member")
        for actor in system["actors"]:
            check(actor, "actor")


# -- each command against a running system, per base with an Admin Port -------------
@pytest.mark.requires("shared", "admin_port")
def test_start_status_json_metrics_shutdown(asys_base, asys_info, tmp_path: Path) -> None:
    log = tmp_path / "system.log"
    port = testing.admin_port_for(asys_info)
    with started(asys_info, "--capability", "coordinator=true", "--capability", "label=alpha",
                 "--capability", "slots=4", "--log", str(log), port=port):
        with attached(asys_info, port) as asys:
            made = some_actors(asys)
            caps = asys.capabilities
        assert caps["coordinator"] is True and caps["label"] == "alpha" and caps["slots"] == 4
        assert log.exists()

        text = run_cli("status", "--port", str(port))
        assert text.returncode == 0, text.stderr
        lines = text.stdout.splitlines()
        assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
        assert "\x1b" not in text.stdout  # not a terminal: no colour
        assert lines[0].startswith(f"{asys_base}  ActorAddr-")
        assert "coordinator=true" in text.stdout and "label=alpha" in text.stdout
        parent_line = next(line for line in lines if '"the-parent"' in line)
        assert parent_line.startswith("Counted /")
        assert sum(1 for line in lines if re.match(r"^[├└|`]─? ?-? ?Counted /", line)) == 2

        raw = run_cli("status", "--port", str(port), "--json")
        assert raw.returncode == 0, raw.stderr
        snap = json.loads(raw.stdout)
        check_schema(snap)
        (system,) = snap["systems"]
        assert system["base"] == asys_base and system["role"] == "alone"
        actors = {a["address"]: a for a in system["actors"]}
        parent, kids = str(made["parent"]), [str(k) for k in made["kids"]]
        assert actors[parent]["global_name"] == "the-parent"
        assert actors[parent]["wakeups"] == 1
        assert sorted(actors[parent]["children"]) == sorted(kids)
        assert all(actors[k]["parent"] == parent for k in kids)
        assert actors[kids[0]]["sent"] == 3 + 1 and actors[kids[0]]["received"] == 1
        assert actors[kids[1]]["failed"] == 1
        assert all(a["answered"] and a["pid"] != system["pid"] for a in actors.values())

        metrics = run_cli("metrics", "--port", str(port))
        assert metrics.returncode == 0, metrics.stderr
        check_metrics(metrics.stdout, system, parent, kids)
        pids = {system["pid"], *(a["pid"] for a in actors.values())}
    assert not any(pid_alive(p) for p in pids)


def check_metrics(text: str, system: dict[str, Any], parent: str, kids: list[str]) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(text)}

    def value(family: str, sample: str, **labels: str) -> float:
        got = [s.value for s in families[family].samples
               if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())]
        assert len(got) == 1, (family, labels, got)
        return got[0]

    assert families["actorcore_actor_received_messages"].type == "counter"
    assert value("actorcore_system_up", "actorcore_system_up", system=system["address"]) == 1
    assert value("actorcore_system_actors", "actorcore_system_actors",
                 system=system["address"]) == len(system["actors"])
    assert value("actorcore_actor_sent_messages", "actorcore_actor_sent_messages_total",
                 actor=kids[0]) == 4
    assert value("actorcore_actor_failed_messages", "actorcore_actor_failed_messages_total",
                 actor=kids[1]) == 1
    assert value("actorcore_actor_pending_wakeups", "actorcore_actor_pending_wakeups",
                 actor=parent, global_name="the-parent") == 1
    assert value("actorcore_actor_children", "actorcore_actor_children", actor=parent) == 2
    per_actor = families["actorcore_actor_answered"].samples
    assert {s.labels["actor"] for s in per_actor} == {a["address"] for a in system["actors"]}


@pytest.mark.requires("shared", "admin_port")
def test_shutdown_returns_when_every_process_is_gone(asys_base, asys_info) -> None:
    before = descendants()
    port = testing.admin_port_for(asys_info)
    assert run_cli("start", "--base", asys_base, "--port", str(port)).returncode == 0
    with attached(asys_info, port) as asys:
        some_actors(asys)
    snap = json.loads(run_cli("status", "--port", str(port), "--json").stdout)
    pids = {snap["systems"][0]["pid"], *(a["pid"] for a in snap["systems"][0]["actors"])}
    assert len(pids) == 5
    stop = run_cli("shutdown", "--port", str(port))
    assert stop.returncode == 0, stop.stderr
    assert "stopped" in stop.stdout
    assert not [p for p in pids if pid_alive(p)]  # already, not eventually
    assert not wait_no_descendants(before)
    again = run_cli("status", "--port", str(port), "--base", asys_base)
    assert again.returncode == 1 and f"no actor system on port {port}" in again.stderr


@pytest.mark.requires("shared", "admin_port")
def test_status_of_nothing_there_is_one_line_and_exit_1(asys_base, asys_info) -> None:
    port = testing.admin_port_for(asys_info)
    for args in (["--base", asys_base], []):  # named base, and every base tried
        for command in ("status", "metrics", "shutdown"):
            began = time.monotonic()
            proc = run_cli(command, "--port", str(port), *args)
            took = time.monotonic() - began
            assert proc.returncode == 1
            assert proc.stderr.strip() == f"actorcore {command}: no actor system on port {port}"
            assert proc.stdout == ""
            assert took < 30  # bounded: a hang would fail here, not block the suite


@pytest.mark.requires("shared", "admin_port", "authenticated")
def test_status_with_another_secret_says_authentication_failed(asys_base, asys_info) -> None:
    with started(asys_info) as port:
        proc = run_cli("status", "--port", str(port), env={"ACTORCORE_SECRET": secrets.token_hex(16)})
        assert proc.returncode == 1
        assert "authentication failed" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert os.environ["ACTORCORE_SECRET"] not in proc.stderr + proc.stdout


@pytest.mark.requires("shared", "admin_port")
def test_start_on_a_held_port_names_the_holder(asys_base, asys_info) -> None:
    kind = socket.SOCK_DGRAM if asys_info.admin_port == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as holder:
        holder.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            holder.listen()
        port = holder.getsockname()[1]
        before = descendants()
        proc = run_cli("start", "--base", asys_base, "--port", str(port))
        assert proc.returncode == 1
        assert proc.stderr.startswith("actorcore start: ")
        assert f"pid {os.getpid()}" in proc.stderr  # this test process holds it
        assert "Traceback" not in proc.stderr
        assert not wait_no_descendants(before)


@pytest.mark.requires("shared", "admin_port")
def test_start_twice_on_one_port_is_refused(asys_base, asys_info) -> None:
    with started(asys_info) as port:
        proc = run_cli("start", "--base", asys_base, "--port", str(port))
        assert proc.returncode == 1
        assert "an actor system already runs on" in proc.stderr


@pytest.mark.requires(shared=False)
def test_start_refuses_a_base_without_an_admin_port(asys_base) -> None:
    proc = run_cli("start", "--base", asys_base)
    assert proc.returncode == 1
    assert f"{asys_base} has no Admin Port" in proc.stderr


# -- conventions -------------------------------------------------------------------
@pytest.mark.requires("shared", "admin_port", "conventions")
def test_status_of_a_leader_shows_each_member_and_its_tree(asys_base, asys_info) -> None:
    lport = testing.admin_port_for(asys_info)
    with started(asys_info, "--capability", "role=leader", port=lport):
        ports = [testing.admin_port_for(asys_info) for _ in range(2)]
        with started(asys_info, "--convention", f"127.0.0.1:{lport}", "--capability", "role=one",
                     port=ports[0], check=False), \
             started(asys_info, "--convention", f"127.0.0.1:{lport}", "--capability",
                     "role=two", "--capability", "gpu=true", port=ports[1], check=False):
            made = {}
            for port in ports:
                with attached(asys_info, port) as member:
                    made[port] = str(member.createActor(Counted, globalName=f"worker-{port}"))

            def snapshot() -> Any:
                snap = json.loads(run_cli("status", "--port", str(lport), "--json").stdout)
                return snap if len(snap["systems"]) == 3 else None

            snap = until(snapshot, limit=30)
            check_schema(snap)
            leader, *members = snap["systems"]
            assert leader["role"] == "leader"
            assert sorted(m["capabilities"]["role"] for m in members) == ["one", "two"]
            assert all(m["role"] == "member" and m["leader"] == leader["address"] for m in members)
            two = next(m for m in members if m["capabilities"]["role"] == "two")
            assert two["capabilities"]["gpu"] is True
            for member in members:
                port = member["capabilities"]["Admin Port"]
                (actor,) = member["actors"]
                assert actor["address"] == made[port] and actor["answered"]
            text = run_cli("status", "--port", str(lport))
            assert text.returncode == 0
            assert "  leader of 2 members," in text.stdout
            assert text.stdout.count(f"  member of {leader['address']},") == 2
            assert all(len(line) <= 80 for line in text.stdout.splitlines())


# -- the command line itself -------------------------------------------------------
def test_capability_values_parse_as_json_else_text() -> None:
    from actorcore._core.ops.commands import capability

    assert capability("coordinator=true") == ("coordinator", True)
    assert capability("slots=4") == ("slots", 4)
    assert capability('zones=["a", "b"]') == ("zones", ["a", "b"])
    assert capability("name=alpha") == ("name", "alpha")
    assert capability("url=http://x:1/=y") == ("url", "http://x:1/=y")


def test_secret_on_the_command_line_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["start", "--base", "multiprocTCPBase", "--capability",
                     "Convention Secret=0123456789abcdef0123"])
    assert code == 2
    assert "never goes on a command line" in capsys.readouterr().err


def test_render_fits_80_columns_and_colours_only_when_asked() -> None:
    from actorcore._core.ops.render import render

    actor = {"address": "ActorAddr-Tabc/1", "parent": None, "class": "a.b." + "VeryLong" * 8,
             "global_name": "n" * 40, "pid": 1234567, "state": "live", "placed_on": None,
             "answered": True, "uptime": 100000.0, "received": 123456789012, "sent": 5,
             "failed": 2, "mailbox": 0, "wakeups": 0, "children": []}
    silent = dict(actor, address="ActorAddr-Tabc/1.1", parent="ActorAddr-Tabc/1", answered=False)
    system = {"address": "ActorAddr-Tabc", "answered": True, "base": "multiprocTCPBase",
              "pid": 1, "uptime": 5.0, "role": "alone", "leader": None,
              "capabilities": {f"cap{i}": "x" * 10 for i in range(12)}, "in_shutdown": False,
              "held_messages": 0, "dead_letter_handler": None, "transport": {}, "members": [],
              "actors": [actor, silent]}
    snap = {"schema": SCHEMA, "time": 0.0, "systems": [system]}
    plain = render(snap)
    assert all(len(line) <= 80 for line in plain)
    assert not any("\x1b" in line for line in plain)
    assert any("no answer" in line for line in plain)
    coloured = render(snap, color=True)
    assert any("\x1b[31m" in line for line in coloured)  # the failures
    assert [re.sub(r"\x1b\[\d+m", "", line) for line in coloured] == plain


def test_no_color_is_honoured_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from actorcore._core.ops.render import use_color

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())  # type: ignore[arg-type]


# -- --watch in a real terminal ---------------------------------------------------
@pytest.mark.requires("shared", "admin_port")
def test_status_watch_redraws_in_place_in_a_terminal(asys_base, asys_info, tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("needs tmux")
    server = f"actorcore-test-{os.getpid()}-{secrets.token_hex(4)}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", server, *args], capture_output=True, text=True,
                              timeout=30, check=True).stdout

    with started(asys_info) as port:
        command = (f"cd {ROOT} && TERM=xterm-256color {sys.executable} -m actorcore status "
                   f"--port {port} --base {asys_base} --watch 0.3; echo WATCH-ENDED $?; sleep 60")
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        subprocess.run(["tmux", "-L", server, "-f", "/dev/null", "new-session", "-d", "-x", "90",
                        "-y", "40", command], env=env, check=True, timeout=30)
        try:
            def screen() -> str:
                return tmux("capture-pane", "-p", "-t", "0")

            first = until(lambda: "(no actors)" in (s := screen()) and s, limit=30)
            assert "Ctrl-C to stop" in first
            with attached(asys_info, port) as asys:
                parent = asys.createActor(Counted, globalName="watched")
                asys.ask(parent, ("kids", 1), WAIT)
            shown = until(lambda: '"watched"' in (s := screen()) and s, limit=30)
            assert shown.count("ACTOR ") == 1  # redrawn in place, not scrolled on
            assert shown.count(f"{asys_base}  ActorAddr-") == 1
            assert "(no actors)" not in shown
            assert any(re.match(r"^[└`]", line) for line in shown.splitlines())
            coloured = tmux("capture-pane", "-p", "-e", "-t", "0")
            assert "\x1b[1m" in coloured  # a terminal: colour
            tmux("send-keys", "-t", "0", "C-c")
            ended = until(lambda: "WATCH-ENDED" in (s := screen()) and s, limit=30)
            assert "WATCH-ENDED 0" in ended and "Traceback" not in ended
        finally:
            subprocess.run(["tmux", "-L", server, "kill-server"], capture_output=True, timeout=30)


# -- process titles ----------------------------------------------------------------
def _cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as fh:
        return fh.read().replace(b"\0", b" ").decode().strip()


@pytest.mark.requires("shared", "admin_port")
def test_processes_are_titled_and_no_title_holds_the_secret(asys_base, asys_info) -> None:
    if not os.path.exists("/proc/self/cmdline"):
        pytest.skip("needs /proc")
    with started(asys_info) as port:
        with attached(asys_info, port) as asys:
            parent = asys.createActor(Counted, globalName="titled")
            asys.ask(parent, ("kids", 1), WAIT)
        snap = json.loads(run_cli("status", "--port", str(port), "--json").stdout)
        (system,) = snap["systems"]
        admin = _cmdline(system["pid"])
        assert admin.startswith(f"actorcore admin {asys_base} ") and admin.endswith(f":{port}")
        for actor in system["actors"]:
            title = _cmdline(actor["pid"])
            assert title == f"actorcore actor Counted {actor['address']}"
        secret = os.environ["ACTORCORE_SECRET"]
        for pid in (system["pid"], *(a["pid"] for a in system["actors"])):
            assert secret not in _cmdline(pid)
            with open(f"/proc/{pid}/comm") as fh:
                assert fh.read().strip().startswith("actorcore ")


def test_the_linux_title_fallback_rewrites_cmdline_and_comm() -> None:
    if not os.path.exists("/proc/self/cmdline"):
        pytest.skip("needs /proc")
    code = ("from actorcore._core.runtime import titles; titles._set_name('actorcore test'); "
            "titles._set_cmdline('actorcore test title'); "
            "print(open('/proc/self/cmdline','rb').read().rstrip(b'\\0').decode()); "
            "print(open('/proc/self/comm').read().strip())")
    out = subprocess.run([sys.executable, "-c", code, "padding " * 8], capture_output=True,
                         text=True, timeout=60, check=True).stdout.splitlines()
    assert out == ["actorcore test title", "actorcore test"]
