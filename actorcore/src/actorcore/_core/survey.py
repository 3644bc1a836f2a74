"""A snapshot of a running system, or of a whole convention, as plain data
(docs/operations.md, "status --json"): what ``actorcore status`` draws and
``actorcore metrics`` exports.

Built only from ``Thespian_StatusReq`` answers, so it works the same on every
base: the system's status lists every actor it knows (its ``actorTable``),
then each of them is asked at once and the answers gathered until a
deadline. An actor too busy (or stuck) to answer in time is still listed,
from what its system knows, with ``"answered": false``; that is what an
operator looks for.
"""
from __future__ import annotations

import time
from typing import Any, Iterable

from .addresses import ActorAddress
from .messages import Thespian_ActorStatus, Thespian_StatusReq, Thespian_SystemStatus

#: The value of ``"schema"``: a consumer checks it before reading the rest.
#: The number changes only when a key is removed or changes meaning (keys may
#: be added without a change).
SCHEMA = "actorcore.status/1"

#: States of an actor table row whose actor runs on this system and can answer.
_ASKABLE = ("live", "exiting", "pending")


def survey(asys: Any, timeout: float = 2.0, members: bool = True) -> dict[str, Any]:
    """The snapshot of the system ``asys`` is attached to; with ``members``, a
    convention leader's members are surveyed too (each for ``timeout``)."""
    first = system_snapshot(asys, asys.systemAddress, timeout)
    systems = [first]
    if members:
        for peer in first.pop("_members", []):
            if peer["role"] != "member":
                continue
            snap = system_snapshot(asys, peer["address"], timeout)
            snap.pop("_members", None)
            snap["role"] = "member"
            snap["leader"] = first["address"]
            if not snap["answered"]:
                snap["capabilities"] = jsonable(peer["capabilities"])
            systems.append(snap)
    else:
        first.pop("_members", None)
    return {"schema": SCHEMA, "time": round(time.time(), 3), "systems": systems}


def system_snapshot(asys: Any, address: ActorAddress, timeout: float) -> dict[str, Any]:
    """One system: its status, and every actor's, asked from a private endpoint
    so that answers too late for this snapshot never reach another."""
    deadline = time.monotonic() + timeout
    with asys.private() as ctx:
        status = ctx.ask(address, Thespian_StatusReq(), timeout)
        if not isinstance(status, Thespian_SystemStatus):
            return _unanswered(address)
        rows = [_row(r) for r in status.actorTable]
        askable = {r["address"]: r for r in rows if r["state"] in _ASKABLE and r["placed_on"] is None}
        targets = [r.get("_addr") for r in rows if r["address"] in askable]
        for target in targets:
            ctx.tell(target, Thespian_StatusReq())
        waiting = set(askable)
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            reply = ctx.listen(left)
            if reply is None:
                break
            if isinstance(reply, Thespian_ActorStatus):
                key = str(reply.actorAddress)
                if key in waiting:
                    waiting.discard(key)
                    _answered(askable[key], reply)
    for r in rows:
        r.pop("_addr", None)
    members = [
        {"address": p.get("address"), "role": p.get("role", "peer"),
         "capabilities": p.get("capabilities") or {}, "listen": p.get("listen", "")}
        for p in status.conventionMembers
    ]
    role = ("leader" if any(m["role"] == "member" for m in members)
            else "member" if status.conventionLeader is not None else "alone")
    handler = status.deadLetterHandler
    return {
        "address": str(address),
        "answered": True,
        "base": status.baseName or str(status.capabilities.get("Thespian ActorSystem Name", "")),
        "pid": status.pid,
        "uptime": status.uptime,
        "role": role,
        "leader": _text(status.conventionLeader),
        "capabilities": jsonable(status.capabilities),
        "in_shutdown": bool(status.inShutdown),
        "held_messages": int(status.pendingMessages or 0),
        "dead_letter_handler": _text(handler),
        "transport": jsonable((status.miscKeyVals or {}).get("transport") or {}),
        "members": [
            {"address": _text(m["address"]), "role": m["role"], "listen": m["listen"]}
            for m in members
        ],
        "actors": rows,
        "_members": members,
    }


def _unanswered(address: ActorAddress) -> dict[str, Any]:
    return {
        "address": str(address), "answered": False, "base": "", "pid": None, "uptime": None,
        "role": "member", "leader": None, "capabilities": {}, "in_shutdown": False,
        "held_messages": 0, "dead_letter_handler": None, "transport": {}, "members": [],
        "actors": [],
    }


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    """An actor as its system's table says; counters come from its own answer."""
    return {
        "_addr": entry.get("address"),
        "address": _text(entry.get("address")),
        "parent": _text(entry.get("parent")),
        "class": str(entry.get("actorClass") or ""),
        "global_name": entry.get("globalName"),
        "pid": entry.get("pid"),
        "state": str(entry.get("state") or ""),
        "placed_on": _text(entry.get("system")),
        "answered": False,
        "uptime": None,
        "received": None,
        "sent": None,
        "failed": None,
        "mailbox": None,
        "wakeups": None,
        "children": [],
    }


def _answered(row: dict[str, Any], status: Thespian_ActorStatus) -> None:
    row.update(
        answered=True,
        uptime=status.uptime,
        received=status.receivedMessages,
        sent=status.sentMessages,
        failed=status.failedMessages,
        mailbox=status.pendingMessages,
        wakeups=status.pendingWakeups,
        children=[str(c) for c in status.childActors],
    )
    if status.pid is not None:
        row["pid"] = status.pid
    if status.globalName is not None:
        row["global_name"] = status.globalName
    if status.actorClass:
        row["class"] = status.actorClass


def _text(addr: Any) -> str | None:
    return None if addr is None else str(addr)


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it: tuples become lists, keys strings, and
    anything else JSON has no type for its ``repr``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return repr(value)


def actors_of(snapshot: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (system, actor) pair of a snapshot."""
    for system in snapshot["systems"]:
        for actor in system["actors"]:
            yield system, actor
