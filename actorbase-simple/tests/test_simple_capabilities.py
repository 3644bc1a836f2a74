"""What only the simple base sets as it does among the common capabilities
(docs/api.md §6.2); the shared suite checks their types on every base."""
from __future__ import annotations

from actorcore.actors import ActorSystem


def test_capabilities_of_the_base():
    system = ActorSystem("simpleSystemBase", logDefs=False, transientUnique=True)
    try:
        caps = system.capabilities
    finally:
        system.shutdown()
    assert caps["Thespian ActorSystem Name"] == "simpleSystem"
    assert caps["Thespian ActorSystem Version"] == 2
    assert caps["Thespian Watch Supported"] is False
    assert caps["AllowRemoteActorSources"] == "No"
