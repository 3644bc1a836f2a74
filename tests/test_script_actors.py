"""Actors defined in the script itself (``__main__``), and classes made inside
a function but bound at module level: what a quick Thespian script does.

Each script runs as ``python script.py`` in a subprocess, as its user would
run it, on every installed base."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from actorcore import testing
from actorcore.actors import Actor, InvalidActorSpecification
from actorcore.testing import capabilities_for as caps_for
from actorcore.testing import descendants, wait_no_descendants

from .actors.lifecycle import Bound
from .helpers import WAIT

MAKE_ECHO = '''
def make_actors():
    class Echo(Actor):
        def receiveMessage(self, message, sender):
            self.send(sender, "echo " + message)
    return Echo


Echo = make_actors()
'''

SCRIPT = '''
"""A Thespian-style script: its actors are defined right here."""
import json
import sys

from actorcore.actors import Actor, ActorSystem, InvalidActorSpecification

import mymod


class World(Actor):
    def receiveMessage(self, message, sender):
        if isinstance(message, tuple) and message[0] == "greet":
            self.send(message[1], "Hello, World! (" + message[2] + ")")


class Hello(Actor):
    def receiveMessage(self, message, sender):
        if message == "hi":
            world = self.createActor(World)  # an actor creates one of the script's classes too
            self.send(world, ("greet", sender, "from a child"))


''' + MAKE_ECHO + '''


def attempt(asys, cls, msg):
    try:
        return asys.ask(asys.createActor(cls), msg, 20)
    except (InvalidActorSpecification, ImportError) as exc:
        return "refused: " + str(exc)


if __name__ == "__main__":
    base, method, caps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    attach = sys.argv[4:] == ["attach"]  # to a running admin this script did not start
    caps["Process Startup Method"] = method
    asys = ActorSystem(base, caps, logDefs=False, transientUnique=not attach)
    try:
        print("hello:", attempt(asys, Hello, "hi"))
        print("main-echo:", attempt(asys, Echo, "main"))
        print("mod-echo:", attempt(asys, mymod.Echo, "mod"))

        class Late(Actor):  # bound at the top level only now, after the admin started
            def receiveMessage(self, message, sender):
                self.send(sender, "late " + message)
        globals()["Late"] = Late
        print("late:", attempt(asys, Late, "hi"))
    finally:
        if not attach:
            asys.shutdown()
'''

MODULE = '''
from actorcore.actors import Actor


''' + MAKE_ECHO


def run_script(tmp_path, base, info, method, caps=None, *more):
    (tmp_path / "script.py").write_text(textwrap.dedent(SCRIPT))
    (tmp_path / "mymod.py").write_text(textwrap.dedent(MODULE))
    before = descendants()
    done = subprocess.run(
        [sys.executable, str(tmp_path / "script.py"), base, method,
         json.dumps(caps or caps_for(info)), *more],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    left = wait_no_descendants(before)
    # a system the test itself runs may start processes meanwhile (its admin's
    # spare actor process is forked just after start-up): those are not the script's
    left -= {pid for owner in before for pid in descendants(owner)}
    assert not left, "processes left behind"
    assert done.returncode == 0, done.stderr
    return dict(line.split(": ", 1) for line in done.stdout.splitlines())


def test_a_script_defining_its_actors_in_main_runs_under_fork(asys_base, asys_info, tmp_path):
    if testing.declared(asys_info, "multiprocess"):
        testing.require(asys_info, "forks")  # an in-process base needs no fork to run them
    out = run_script(tmp_path, asys_base, asys_info, "fork")
    assert out["hello"] == "Hello, World! (from a child)"
    assert out["main-echo"] == "echo main"  # made in a function, bound in __main__
    assert out["mod-echo"] == "echo mod"  # made in a function, bound as mymod.Echo
    if testing.declared(asys_info, "multiprocess"):
        # the admin's processes copied __main__ at ActorSystem(): Late is not there
        assert out["late"].startswith("refused: ")
        assert "before the ActorSystem() call" in out["late"]
    else:
        assert out["late"] == "late hi"  # one process: every class is at hand


@pytest.mark.multiprocess_only("in-process bases share the script's __main__ under any start method")
def test_a_script_defining_its_actors_in_main_is_told_which_start_method_works(
        asys_base, asys_info, tmp_path):
    out = run_script(tmp_path, asys_base, asys_info, "spawn")
    for key in ("hello", "main-echo"):
        assert out[key].startswith("refused: ")
        assert "'spawn' start method" in out[key] and "'fork' start method" in out[key]
    assert out["mod-echo"] == "echo mod"  # an importable module works under every start method


@pytest.mark.requires("shared", reason="only then does another program attach to an admin")
def test_a_script_attached_to_an_admin_it_did_not_start_is_told_why(asys, asys_info, tmp_path):
    out = run_script(tmp_path, asys_info.name,
                     asys_info, "fork", {"Admin Port": asys.capabilities["Admin Port"]}, "attach")
    assert out["hello"].startswith("refused: ")
    assert "attached to an admin it did not start" in out["hello"]


def _make_unbound():
    class Unbound(Actor):
        def receiveMessage(self, message, sender):
            self.send(sender, ("unbound", message))
    return Unbound


def test_a_class_made_in_a_function_and_bound_at_module_level_is_created(asys):
    assert asys.ask(asys.createActor(Bound), "hi", WAIT) == ("bound", "hi")


@pytest.mark.multiprocess_only("in-process bases need not import a class: any class object works")
def test_a_class_made_in_a_function_and_bound_nowhere_is_refused_clearly(asys):
    with pytest.raises(InvalidActorSpecification, match="defined inside a function"):
        asys.createActor(_make_unbound())
