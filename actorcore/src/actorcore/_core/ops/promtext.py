"""A snapshot in the Prometheus text exposition format (version 0.0.4): one
labelled series per actor and per system, for node-exporter's textfile
collector or anything that scrapes text.

Written here rather than with ``prometheus-client``: the format is a few
lines of ``# HELP``/``# TYPE`` and ``name{labels} value``, and the library's
registry and collector classes would be a dependency of the core for that.
"""
from __future__ import annotations

from typing import Any, Callable

Sample = tuple[dict[str, str], float]

#: (name, type, help, actor key) of the per-actor families
_ACTOR_FAMILIES = (
    ("actorcore_actor_received_messages_total", "counter", "Messages the actor has been given.",
     "received"),
    ("actorcore_actor_sent_messages_total", "counter", "Messages the actor has sent.", "sent"),
    ("actorcore_actor_failed_messages_total", "counter",
     "Messages whose handling raised (first attempt; a second failure makes a PoisonMessage).",
     "failed"),
    ("actorcore_actor_mailbox_messages", "gauge", "Messages received but not yet handled.",
     "mailbox"),
    ("actorcore_actor_pending_wakeups", "gauge", "wakeupAfter calls not yet due.", "wakeups"),
    ("actorcore_actor_uptime_seconds", "gauge", "Seconds since the actor started.", "uptime"),
)


def escape(value: str) -> str:
    """A label value as the format wants it: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _family(name: str, kind: str, help_text: str, samples: list[Sample]) -> list[str]:
    out = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        text = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
        out.append(f"{name}{{{text}}} {_number(value)}")
    return out


def exposition(snapshot: dict[str, Any]) -> str:
    """The text ``actorcore metrics`` prints."""
    systems = snapshot["systems"]
    lines: list[str] = []

    def system_family(name: str, kind: str, help_text: str,
                      value: Callable[[dict[str, Any]], float | None]) -> None:
        samples = [(_system_labels(s), v) for s in systems if (v := value(s)) is not None]
        lines.extend(_family(name, kind, help_text, samples))

    system_family("actorcore_system_up", "gauge",
                  "1 when the system answered its status request, else 0.",
                  lambda s: 1 if s["answered"] else 0)
    system_family("actorcore_system_uptime_seconds", "gauge", "Seconds since the system started.",
                  lambda s: s["uptime"] if s["answered"] else None)
    system_family("actorcore_system_actors", "gauge", "Actors the system knows of.",
                  lambda s: len(s["actors"]) if s["answered"] else None)
    system_family("actorcore_system_held_messages", "gauge",
                  "Messages the admin holds for actors not yet started.",
                  lambda s: s["held_messages"] if s["answered"] else None)
    events = [({**_system_labels(s), "event": str(k)}, v)
              for s in systems for k, v in sorted(s["transport"].items())
              if isinstance(v, (int, float)) and not isinstance(v, bool)]
    lines.extend(_family("actorcore_system_transport_events_total", "counter",
                         "What the admin's transport counted (e.g. datagrams dropped).", events))

    pairs = [(s, a) for s in systems for a in s["actors"] if not a["placed_on"]]
    lines.extend(_family(
        "actorcore_actor_answered", "gauge",
        "1 when the actor answered its status request in time, else 0 (busy or stuck).",
        [(_actor_labels(s, a), 1 if a["answered"] else 0) for s, a in pairs]))
    for name, kind, help_text, key in _ACTOR_FAMILIES:
        samples = [(_actor_labels(s, a), a[key]) for s, a in pairs
                   if a["answered"] and a[key] is not None]
        lines.extend(_family(name, kind, help_text, samples))
    lines.extend(_family(
        "actorcore_actor_children", "gauge", "Live children of the actor.",
        [(_actor_labels(s, a), len(a["children"])) for s, a in pairs if a["answered"]]))
    return "\n".join(lines) + "\n"


def _system_labels(system: dict[str, Any]) -> dict[str, str]:
    return {"system": system["address"], "base": system["base"], "role": system["role"]}


def _actor_labels(system: dict[str, Any], actor: dict[str, Any]) -> dict[str, str]:
    return {"system": system["address"], "actor": actor["address"], "class": actor["class"],
            "global_name": actor["global_name"] or ""}
