"""The bench's summary: every workload's figure for actorcore, Thespian and
the raw limit of the base's transport, side by side, with both ratios.

``python bench/table.py [results.jsonl]`` prints the table of a finished run
(default ``bench/results/latest.jsonl``); run.py prints it at the end of
every run and writes it beside its JSON lines (``.md``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

#: base -> (limit line for a small round trip, its pingpong counterpart).
#: The ``-spin`` limits wait the way the runtime waits (limits.py). The TCP
#: base's processes of one host talk over Unix sockets (docs/tcp.md), and the
#: bench runs on one host: its limit is the Unix socket's.
_ROUND_TRIP = {
    "multiprocQueueBase": "limit-pipe-spin",
    "multiprocTCPBase": "limit-unix-spin",
    "multiprocUDPBase": "limit-udp-spin",
}


def limit_for(workload: str, base: str, limits: dict[str, dict[str, Any]]) -> tuple[float, str] | None:
    """The raw limit of ``workload`` on ``base``'s transport, in the
    workload's own unit, and what it is; None when there is none."""
    def value(name: str) -> float | None:
        line = limits.get(name)
        return None if line is None else line.get("value")

    if base == "rayBase":
        name = {"ask": "ray-floor-call", "pingpong": "ray-floor-pingpong",
                "bigmsg": "ray-floor-1mib"}.get(workload)
        v = value(name) if name else None
        return None if v is None or name is None else (v, name)
    if base == "simpleSystemBase":
        calls = value("limit-dispatch")
        if calls is None:
            return None
        if workload == "ask":  # a request and a reply: two dispatches
            return 2e6 / calls, "limit-dispatch"
        if workload == "pingpong":
            return calls, "limit-dispatch"
        return None
    rt_name = _ROUND_TRIP.get(base)
    if workload in ("ask", "pingpong") and rt_name:
        rt = value(rt_name)
        if rt is None:
            return None
        # a round trip carries two messages
        return (rt, rt_name) if workload == "ask" else (2e6 / rt, rt_name)
    if workload == "bigmsg":
        v = value("limit-tcp-1mib")
        return None if v is None else (v, "limit-tcp-1mib")
    return None


def _times(a: float | None, b: float | None, better: str) -> float | None:
    """How many times ``a`` is better than ``b`` (below 1: worse)."""
    if not a or not b:
        return None
    return b / a if better == "lower" else a / b


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def render(lines: list[dict[str, Any]]) -> str:
    """A Markdown table of ``lines`` (run.py's JSON lines, in any order)."""
    limits = {ln["workload"]: ln for ln in lines if "value" in ln}
    meta = next((ln for ln in lines if ln.get("workload") == "meta"), {})
    rows = [
        "| workload | base | unit | actorcore | thespian | ×thespian | raw limit | ×limit | CPU s/10k msgs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ln in lines:
        if "base" not in ln or "actorcore" not in ln:
            continue
        found = limit_for(ln["workload"], ln["base"], limits)
        lim, lim_name = found if found else (None, "")
        cpu = ln.get("extra", {}).get("cpu_s_per_10k", {}).get("actorcore")
        rows.append(
            f"| {ln['workload']} | {ln['base']} | {ln['unit']} | {_fmt(ln['actorcore'])} "
            f"| {_fmt(ln['thespian'])} | {_fmt(_times(ln['actorcore'], ln['thespian'], ln['better']))} "
            f"| {_fmt(lim)}{f' ({lim_name})' if lim_name else ''} "
            f"| {_fmt(_times(ln['actorcore'], lim, ln['better']))} | {_fmt(cpu)} |"
        )
    head = (f"{meta.get('time', '?')}, {meta.get('cpus', '?')} CPUs, Python {meta.get('python', '?')}, "
            f"thespian {meta.get('thespian') or '—'}, {meta.get('reps', '?')} reps"
            f"{' (quick)' if meta.get('quick') else ''}. ×thespian and ×limit: times better "
            "than it (below 1: worse).")
    return head + "\n\n" + "\n".join(rows) + "\n"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results" / "latest.jsonl")
    lines = [json.loads(t) for t in path.read_text().splitlines() if t.strip()]
    print(render(lines), end="")


if __name__ == "__main__":
    main()
