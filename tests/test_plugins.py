"""docs/api.md §1.2, §9.1, ARCHITECTURE.md: plugins from outside the core."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from actorcore._core import plugins
from actorcore._core.registry import KNOWN_DISTRIBUTIONS
from actorcore.actors import (
    ActorExitRequest,
    ActorSystem,
    ActorSystemStartupFailure,
    NoCompatibleSystemForActor,
    PoisonMessage,
)

from .actors.asyncs import Asker, Sleeper
from .actors.basic import Collector, Echo
from .actors.capabilities import NeedsGpu
from .actors.exits import Parent
from .actors.failures import Fails
from .helpers import WAIT
from .tinybase import NAME, TinyPlugin

PLUGIN = "tests-tiny-base"


@pytest.fixture
def tiny():
    plugins.register_plugin(TinyPlugin(), name=PLUGIN)
    systems = []

    def start(**kw):
        s = ActorSystem(NAME, transientUnique=True, logDefs=False, **kw)
        systems.append(s)
        return s

    try:
        yield start
    finally:
        for s in systems:
            s.shutdown()
        plugins.unregister_plugin(PLUGIN)


def test_third_party_base_is_listed(tiny):
    info = plugins.registry().get(NAME)
    assert info is not None
    assert NAME in plugins.registry().names()
    assert "tiny" in info.summary


def test_third_party_base_runs_actors(tiny):
    s = tiny()
    assert s.capabilities["Thespian ActorSystem Name"] == NAME
    e = s.createActor(Echo)
    assert s.ask(e, "hi", WAIT) == "hi"
    assert s.ask(s.createActor("tests.actors.basic.Echo", globalName="n"), ("self?",), WAIT) == \
        s.createActor(Echo, globalName="n")


def test_third_party_base_runs_async_handlers_that_await_asks_and_timers(tiny):
    s = tiny()
    a = s.createActor(Asker)
    assert s.ask(a, ("ask", s.createActor(Echo), "hi", 10), WAIT) == ("ok", "hi")
    msgs = [("sleep", 0.05, "first"), ("sleep", 0.0, "second")]
    assert s.ask(a, ("gather", s.createActor(Sleeper), msgs), WAIT) == ["first", "second"]


def test_third_party_base_poison_and_exit(tiny):

    s = tiny()
    reply = s.ask(s.createActor(Fails), "boom", WAIT)
    assert isinstance(reply, PoisonMessage) and "KaboomError" in reply.details
    col = s.createActor(Collector)
    p = s.createActor(Parent)
    kids = s.ask(p, ("spawn", 2, col), WAIT)
    s.tell(p, ActorExitRequest())
    got = s.ask(col, ("collector:get",), WAIT)
    assert sum(1 for m in got if m[0] == "parent-saw-child-exit") == 2
    assert len(kids) == 2


def test_third_party_base_capability_checks(tiny):
    s = tiny()
    with pytest.raises(NoCompatibleSystemForActor):
        s.createActor(NeedsGpu)
    s.updateCapability("gpu", True)
    assert s.ask(s.createActor(NeedsGpu), "ping", WAIT) == "pong"


def test_unregistered_base_is_gone(tiny):
    plugins.unregister_plugin(PLUGIN)
    try:
        with pytest.raises(ImportError):
            ActorSystem(NAME, transientUnique=True, logDefs=False)
    finally:
        plugins.register_plugin(TinyPlugin(), name=PLUGIN)


@pytest.mark.parametrize("name", sorted(KNOWN_DISTRIBUTIONS))
def test_uninstalled_known_base_names_its_distribution(name):
    if name in plugins.registry().names():
        pytest.skip(f"{name} is installed here")
    with pytest.raises(ImportError) as info:
        ActorSystem(name, transientUnique=True, logDefs=False)
    assert isinstance(info.value, ActorSystemStartupFailure)
    assert KNOWN_DISTRIBUTIONS[name] in str(info.value)


def test_unknown_base_lists_installed_bases():
    with pytest.raises(ImportError) as info:
        ActorSystem("noSuchBaseAnywhere", transientUnique=True, logDefs=False)
    assert isinstance(info.value, ActorSystemStartupFailure)
    text = str(info.value)
    assert "noSuchBaseAnywhere" in text
    for installed in plugins.registry().names():
        assert installed in text


def _run(code, **env):
    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True,
                          text=True, timeout=60)


def test_load_plugins_empty_means_no_bases():
    r = _run("from actorcore._core import plugins; print(plugins.registry().names())",
             ACTORCORE_LOAD_PLUGINS="")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_load_plugins_empty_then_actor_system_fails_clearly():
    code = ("from actorcore.actors import ActorSystem, ActorSystemStartupFailure\n"
            "try:\n    ActorSystem(logDefs=False)\n"
            "except ImportError as e:\n"
            "    print('both' if isinstance(e, ActorSystemStartupFailure) else 'import-only')\n"
            "    print(e)\n")
    r = _run(code, ACTORCORE_LOAD_PLUGINS="")
    assert r.returncode == 0, r.stderr
    first, _, rest = r.stdout.partition("\n")
    assert first == "both"
    assert "actorbase-simple" in rest


@pytest.mark.parametrize("plugin", sorted({info.plugin for info in plugins.registry().infos()}))
def test_load_plugins_selects_entry_points(plugin):
    """Naming one installed plugin's entry point loads its bases and no other."""
    bases = [info.name for info in plugins.registry().infos() if info.plugin == plugin]
    r = _run("from actorcore._core import plugins; print(plugins.registry().names())",
             ACTORCORE_LOAD_PLUGINS=plugin)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == repr(sorted(bases))


def test_trace_plugins_prints_hook_calls():
    r = _run("from actorcore._core import plugins; plugins.registry()", ACTORCORE_TRACE_PLUGINS="1")
    assert r.returncode == 0, r.stderr
    assert "actorcore_register_system_bases" in r.stderr
    quiet = _run("from actorcore._core import plugins; plugins.registry()", ACTORCORE_TRACE_PLUGINS="")
    assert "actorcore_register_system_bases" not in quiet.stderr
