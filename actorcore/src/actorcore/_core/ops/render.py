"""A snapshot (:mod:`actorcore._core.survey`) drawn for people: one block per
system, its actors as a tree with their counters in aligned columns, within
80 columns; colour only when asked for (the caller decides: a terminal, and
no ``NO_COLOR``)."""
from __future__ import annotations

import os
import re
from typing import IO, Any

WIDTH = 80

#: Capabilities every system has; the header shows only the others.
_STANDARD = frozenset({
    "Python Version", "Thespian Generation", "Thespian Version", "Thespian ActorSystem Name",
    "Thespian ActorSystem Version", "Thespian Watch Supported", "Admin Port",
})

#: (heading, width, actor key) of the number columns
_COLUMNS = (
    ("PID", 7, "pid"), ("UP", 7, "uptime"), ("RECV", 7, "received"), ("SENT", 7, "sent"),
    ("FAIL", 5, "failed"), ("MBOX", 5, "mailbox"), ("WAKE", 4, "wakeups"),
)

_BOLD, _RED, _YELLOW, _DIM, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[0m"


def use_color(stream: IO[str]) -> bool:
    """Colour for ``stream``: a terminal, ``NO_COLOR`` unset or empty, not TERM=dumb."""
    if os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def use_unicode(stream: IO[str]) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf_8")


def duration(seconds: float | None) -> str:
    """``42s``, ``5m03s``, ``2h07m``, ``3d04h``: short enough for a column."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def _count(n: Any, width: int) -> str:
    if n is None:
        return "-"
    text = str(n)
    for div, unit in ((1_000, "k"), (1_000_000, "M"), (1_000_000_000, "G")):
        if len(text) <= width:
            break
        text = f"{n / div:.1f}{unit}" if n / div < 100 else f"{n // div}{unit}"
    return text


def short_class(spec: str) -> str:
    return spec.rsplit(".", 1)[-1] if spec else "?"


def short_address(address: str, system: str) -> str:
    """An actor's address without its system's prefix (``/3.1``) where it has it."""
    sysid = system[len("ActorAddr-"):] if system.startswith("ActorAddr-") else system
    text = address[len("ActorAddr-"):] if address.startswith("ActorAddr-") else address
    return text[len(sysid):] if sysid and text.startswith(sysid) and len(text) > len(sysid) else text


def _natural(address: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", address)]


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if self.color and text.strip() else text


def render(snapshot: dict[str, Any], color: bool = False, unicode: bool = True,
           width: int = WIDTH) -> list[str]:
    """The lines of ``actorcore status`` for ``snapshot``."""
    paint = _Painter(color)
    lines: list[str] = []
    for system in snapshot["systems"]:
        if lines:
            lines.append("")
        lines.extend(_system(system, paint, unicode, width))
    return lines


def _system(system: dict[str, Any], paint: _Painter, unicode: bool, width: int) -> list[str]:
    if not system["answered"]:
        what = f"{system['role']} {system['address']}"
        return [paint(_fit(f"{what}: no answer", width), _YELLOW)]
    role = system["role"]
    members = [m for m in system.get("members", []) if m["role"] == "member"]
    if role == "leader":
        role_text = f"leader of {len(members)} member{'s' if len(members) != 1 else ''}"
    elif role == "member":
        role_text = f"member of {system['leader'] or '?'}"
    else:
        role_text = ""
    head = "  ".join(x for x in (
        system["base"], system["address"], f"pid {system['pid']}" if system["pid"] else "",
        f"up {duration(system['uptime'])}", "SHUTTING DOWN" if system["in_shutdown"] else "") if x)
    lines = [paint(_fit(head, width), _BOLD)]
    facts = [role_text] if role_text else []
    port = system["capabilities"].get("Admin Port")
    if port:
        facts.append(f"Admin Port {port}")
    facts.append(f"{len(system['actors'])} actor{'s' if len(system['actors']) != 1 else ''}")
    if system["held_messages"]:
        facts.append(f"{system['held_messages']} held")
    if system["dead_letter_handler"]:
        facts.append(f"dead letters to {system['dead_letter_handler']}")
    lines.extend(_wrapped("  ", facts, width))
    own = {k: v for k, v in system["capabilities"].items() if k not in _STANDARD}
    if own:
        lines.extend(_wrapped("  capabilities: ", [f"{k}={_cap(v)}" for k, v in sorted(own.items())], width))
    lines.extend(_tree(system, paint, unicode, width))
    return lines


def _cap(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _wrapped(lead: str, items: list[str], width: int) -> list[str]:
    lines, line = [], lead
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(line) + len(piece) + 1 > width and line.strip() != lead.strip():
            lines.append(line.rstrip())
            line = " " * len(lead)
        line += piece + " "
    lines.append(_fit(line.rstrip(), width))
    return lines


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "~"


def _tree(system: dict[str, Any], paint: _Painter, unicode: bool, width: int) -> list[str]:
    actors = system["actors"]
    if not actors:
        return ["  (no actors)"]
    label_width = width - sum(w + 1 for _, w, _ in _COLUMNS)
    header = "ACTOR".ljust(label_width) + "".join(" " + h.rjust(w) for h, w, _ in _COLUMNS)
    lines = [paint(header, _DIM)]
    by_addr = {a["address"]: a for a in actors}
    kids: dict[str | None, list[dict[str, Any]]] = {}
    for actor in actors:
        parent = actor["parent"] if actor["parent"] in by_addr else None
        kids.setdefault(parent, []).append(actor)
    for group in kids.values():
        group.sort(key=lambda a: _natural(a["address"]))
    branch, last, pipe, blank = ("├─ ", "└─ ", "│  ", "   ") if unicode else ("|- ", "`- ", "|  ", "   ")

    def walk(parent: str | None, prefix: str, depth: int) -> None:
        group = kids.get(parent, [])
        for i, actor in enumerate(group):
            final = i == len(group) - 1
            lead = "" if depth == 0 else prefix + (last if final else branch)
            lines.extend(_actor_line(actor, system["address"], lead, label_width, paint).split("\n"))
            walk(actor["address"], "" if depth == 0 else prefix + (blank if final else pipe), depth + 1)

    walk(None, "", 0)
    return lines


def _actor_line(actor: dict[str, Any], system: str, lead: str, label_width: int,
                paint: _Painter) -> str:
    label = f"{lead}{short_class(actor['class'])} {short_address(actor['address'], system)}"
    if actor["global_name"]:
        label += f' "{actor["global_name"]}"'
    if actor["placed_on"]:
        label += f" on {actor['placed_on']}"
    elif actor["state"] not in ("live", ""):
        label += f" ({actor['state']})"
    if actor["placed_on"]:
        return _fit(label, WIDTH)
    lead_in = ""
    if len(label) > label_width - 1:  # the whole label on a line of its own, the numbers below
        lead_in = _fit(label, WIDTH) + "\n"
        label = ""
    label = lead_in + label.ljust(label_width)
    if not actor["answered"]:
        pid = _count(actor["pid"], 7).rjust(7)
        return label + " " + pid + " " + paint("no answer", _YELLOW)
    cells = []
    for _, w, key in _COLUMNS:
        value = actor[key]
        text = duration(value) if key == "uptime" else _count(value, w)
        cell = text.rjust(w)
        if key == "failed" and value:
            cell = paint(cell, _RED)
        cells.append(cell)
    return label + "".join(" " + c for c in cells)
