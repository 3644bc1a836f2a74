"""Two systems in one program (docs/api.md §3.1 transientUnique): actors of a second
system and of the first reach each other where the base runs them in one process,
and a message that cannot cross comes back to its sender as PoisonMessage and is
logged, never lost silently."""
from __future__ import annotations

import pytest

from actorcore import testing
from actorcore.actors import ActorSystem, PoisonMessage

from .actors.basic import DeadLetterCollector
from .helpers import GET, WAIT

RELAY = "tests.actors.system.PingRelay"


@pytest.fixture
def second(asys, asys_base, asys_info, tmp_path):
    """A second system of the base under test, logging to ``tmp_path/second.log``."""
    system = ActorSystem(
        asys_base,
        capabilities=testing.capabilities_for(asys_info),
        logDefs=testing.log_to_file(tmp_path / "second.log"),
        transientUnique=True,
    )
    try:
        yield system
    finally:
        system.shutdown()


@pytest.mark.requires(multiprocess=False, reason="systems with separate admins reach each other "
                                               "only through a convention")
def test_actors_of_two_in_process_systems_message_each_other(asys, second):
    first_relay = asys.createActor(RELAY)
    second_relay = second.createActor(RELAY)
    assert second.ask(second_relay, ("relay", first_relay), WAIT) == "relayed pong"
    assert asys.ask(first_relay, ("relay", second_relay), WAIT) == "relayed pong"
    assert asys.ask(second_relay, "hello", WAIT) == ("echo", "hello")  # the program's handle too


@pytest.mark.requires(multiprocess=False, reason="systems with separate admins reach each other "
                                               "only through a convention")
def test_an_actor_of_a_shut_down_system_is_a_dead_letter_of_the_sender(asys, second):
    handler = asys.createActor(DeadLetterCollector)
    assert asys.ask(handler, ("register",), WAIT) == "registered"
    first_relay = asys.createActor(RELAY)
    second_relay = second.createActor(RELAY)
    second.shutdown()
    assert asys.ask(first_relay, ("relay", second_relay), 0.5) is None
    got = asys.ask(handler, GET, WAIT)
    assert [(d.deadAddress, d.deadMessage) for d in got] == [(second_relay, "ping")]


@pytest.mark.multiprocess_only("in-process systems reach each other directly")
def test_a_message_to_another_systems_actor_comes_back_refused_and_is_logged(asys, second, tmp_path):
    first_relay = asys.createActor(RELAY)
    second_relay = second.createActor(RELAY)
    assert second.ask(second_relay, "hello", WAIT) == ("echo", "hello")
    # an actor's send comes back to it as PoisonMessage, saying why
    refused = second.ask(second_relay, ("relay", first_relay), WAIT)
    assert refused is not None and refused[0] == "refused", refused
    assert "cannot reach" in refused[1] and first_relay.addressDetails in refused[1]
    # so does the program's own: its ask ends at once, with the message
    reply = second.ask(first_relay, "hello", WAIT)
    assert isinstance(reply, PoisonMessage) and reply.poisonMessage == "hello", reply
    assert "not in a convention with it" in reply.details
    log = tmp_path / "second.log"
    text = testing.until(lambda: log.exists() and "cannot be delivered" in log.read_text() and log.read_text())
    assert f"messages to {first_relay.addressDetails}" in text
    assert "not (or no longer) in a convention with it" in text
