"""docs/api.md §4.6, §9.6: the counters a status answer carries, on every base,
and the snapshot ``actorcore status`` draws from them."""
from __future__ import annotations

import json
import os

from actorcore._core.survey import SCHEMA, survey
from actorcore.actors import Thespian_ActorStatus, Thespian_StatusReq, Thespian_SystemStatus

from .actors.basic import Collector
from .actors.observed import Counted
from .helpers import WAIT, collected


def test_actor_status_counts_received_sent_and_failed(asys):
    sender = asys.createActor(Counted, globalName="counted-sender")
    sink = asys.createActor(Collector)
    assert asys.ask(sender, ("send", sink, 5), WAIT) == "sent"
    assert asys.ask(sender, "boom", WAIT) == "survived"
    collected(asys, sink, lambda got: len(got) == 5)
    status = asys.ask(sender, Thespian_StatusReq(), WAIT)
    assert isinstance(status, Thespian_ActorStatus)
    assert status.receivedMessages == 2  # the status request itself is not counted
    assert status.sentMessages == 5 + 2  # five items and two answers
    assert status.failedMessages == 1
    assert status.globalName == "counted-sender"
    assert isinstance(status.pid, int) and status.pid > 0
    assert status.uptime is not None and status.uptime >= 0
    assert status.miscKeyVals["sent"] == status.sentMessages  # the older keys stay


def test_actor_status_counts_pending_wakeups_and_children(asys):
    actor = asys.createActor(Counted)
    assert asys.ask(actor, ("sleep later",), WAIT) == "armed"
    kids = asys.ask(actor, ("kids", 2), WAIT)
    status = asys.ask(actor, Thespian_StatusReq(), WAIT)
    assert status.pendingWakeups == 1
    assert sorted(map(str, status.childActors)) == sorted(map(str, kids))


def test_an_actor_asks_another_for_its_status(asys):
    asker = asys.createActor(Counted)
    target = asys.createActor(Counted)
    assert asys.ask(target, "ping", WAIT) == "pong"
    status = asys.ask(asker, ("status of", target), WAIT)
    assert isinstance(status, Thespian_ActorStatus)
    assert status.actorAddress == target
    assert status.receivedMessages == 1 and status.sentMessages == 1


def test_system_status_lists_every_actor_with_its_parent(asys):
    parent = asys.createActor(Counted, globalName="the-parent")
    kids = asys.ask(parent, ("kids", 2), WAIT)
    status = asys.ask(asys.systemAddress, Thespian_StatusReq(), WAIT)
    assert isinstance(status, Thespian_SystemStatus)
    rows = {str(r["address"]): r for r in status.actorTable}
    assert str(parent) in rows and all(str(k) in rows for k in kids)
    assert rows[str(parent)]["parent"] is None
    assert rows[str(parent)]["globalName"] == "the-parent"
    assert all(rows[str(k)]["parent"] == parent for k in kids)
    assert "Counted" in rows[str(parent)]["actorClass"]
    assert status.baseName == asys.capabilities["Thespian ActorSystem Name"] or status.baseName
    assert status.pid is not None and status.uptime is not None


def test_survey_gathers_every_actor_answered(asys):
    parent = asys.createActor(Counted)
    kids = asys.ask(parent, ("kids", 3), WAIT)
    asys.ask(kids[0], "ping", WAIT)
    snap = survey(asys, timeout=WAIT)
    assert snap["schema"] == SCHEMA
    json.dumps(snap)  # plain data all through
    (system,) = snap["systems"]
    assert system["answered"] and system["role"] == "alone"
    actors = {a["address"]: a for a in system["actors"]}
    assert set(actors) >= {str(parent), *map(str, kids)}
    assert all(a["answered"] for a in actors.values())
    assert sorted(actors[str(parent)]["children"]) == sorted(map(str, kids))
    assert actors[str(kids[0])]["received"] == 1 and actors[str(kids[0])]["sent"] == 1
    if asys.capabilities.get("Thespian ActorSystem Name") == "simpleSystem":
        assert actors[str(parent)]["pid"] == os.getpid()
