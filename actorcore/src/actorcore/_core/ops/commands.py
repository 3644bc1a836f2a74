"""``actorcore start | status | shutdown | metrics`` (docs/operations.md).

Each returns the exit code: 0 done, 1 failed (one line on stderr, never a
traceback). The secret comes from where every program of the system takes
it (``ACTORCORE_SECRET`` or the per-user file), never from the command line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from ... import logsetup
from ..keys import SECRET_CAPABILITY
from ..messages import Thespian_StatusReq, Thespian_SystemStatus
from ..runtime import procs
from ..runtime.hostports import CONVENTION_KEY
from ..survey import survey
from . import attach, promtext, render
from .attach import CommandError

#: How long ``shutdown`` waits for the processes of the system to be gone.
SHUTDOWN_LIMIT = 30.0


def _fail(command: str, text: str) -> int:
    print(f"actorcore {command}: {text}", file=sys.stderr)
    return 1


def capability(text: str) -> tuple[str, Any]:
    """``K=V`` from the command line: V as JSON where it parses (``true``, ``3``,
    ``[1, 2]``), else the text itself."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    if key == SECRET_CAPABILITY:
        raise argparse.ArgumentTypeError(
            "the secret never goes on a command line (other users see it in ps): set "
            "ACTORCORE_SECRET or use the per-user secret file (docs/security.md)")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key, value


def cmd_start(args: argparse.Namespace) -> int:
    """Start a system that outlives this command; print where it is."""
    try:
        (info,) = attach.base_info(args.base)
        caps: dict[str, Any] = dict(args.capability or [])
        if args.port is not None:
            caps["Admin Port"] = args.port
        if args.convention:
            caps[CONVENTION_KEY] = args.convention
        log_path = os.path.abspath(args.log) if args.log else None
        logDefs = logsetup.file_config(log_path) if log_path else None
        asys = attach.start(info, caps, logDefs)
    except CommandError as exc:
        return _fail("start", str(exc))
    try:
        status = asys.ask(asys.systemAddress, Thespian_StatusReq(), 10)
        host = getattr(getattr(asys, "_base", None), "transport", None)
        host = getattr(host, "admin_host", "127.0.0.1")
        port = asys.capabilities.get("Admin Port")
        pid = status.pid if isinstance(status, Thespian_SystemStatus) else None
        print(f"{info.name} on {host}:{port}: {asys.systemAddress} (admin pid {pid})")
        if log_path:
            print(f"logs to {log_path}")
        sys.stdout.flush()
    finally:
        attach.detach(asys)
    return 0


def _snapshot(asys: Any, timeout: float, members: bool = True) -> dict[str, Any]:
    return survey(asys, timeout=timeout, members=members)


def cmd_status(args: argparse.Namespace) -> int:
    """Draw the actor tree of the system on the port (and of its members)."""
    try:
        with attach.attached(args.base, args.port) as (asys, _info, port):
            if args.watch is None:
                _show(_snapshot(asys, args.timeout), args)
                return 0
            return _watch(asys, args, port)
    except CommandError as exc:
        return _fail("status", str(exc))


def _show(snapshot: dict[str, Any], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(snapshot, indent=None if args.watch is not None else 2))
    else:
        out = sys.stdout
        for line in render.render(snapshot, color=render.use_color(out), unicode=render.use_unicode(out)):
            print(line)
    sys.stdout.flush()


def _watch(asys: Any, args: argparse.Namespace, port: int) -> int:
    """Redraw every ``--watch`` seconds until interrupted: in place on a
    terminal, one snapshot after the other (JSON: one per line) otherwise."""
    in_place = sys.stdout.isatty() and not args.json
    try:
        while True:
            try:
                snapshot = _snapshot(asys, args.timeout)
            except Exception as exc:  # the system went away under us
                if in_place:
                    sys.stdout.write("\x1b[H\x1b[2J")
                return _fail("status", f"the actor system on port {port} no longer answers ({exc})")
            if in_place:
                sys.stdout.write("\x1b[H\x1b[2J")  # home, clear: redraw from the top
                stamp = time.strftime("%H:%M:%S")
                sys.stdout.write(f"every {args.watch:g}s, {stamp} (Ctrl-C to stop)\n\n")
            elif not args.json:
                sys.stdout.write("\n")
            _show(snapshot, args)
            time.sleep(args.watch)
    except KeyboardInterrupt:
        return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    """The counters in the Prometheus text format."""
    try:
        with attach.attached(args.base, args.port) as (asys, _info, _port):
            sys.stdout.write(promtext.exposition(_snapshot(asys, args.timeout)))
            sys.stdout.flush()
            return 0
    except CommandError as exc:
        return _fail("metrics", str(exc))


def cmd_shutdown(args: argparse.Namespace) -> int:
    """Stop the system on the port; return once every process of it is gone."""
    try:
        with attach.attached(args.base, args.port) as (asys, info, port):
            status = asys.ask(asys.systemAddress, Thespian_StatusReq(), 10)
            listed: set[Any] = set()
            if isinstance(status, Thespian_SystemStatus):
                listed = {r.get("pid") for r in status.actorTable if r.get("system") is None}
                listed.add(status.pid)
            pids = {p for p in listed if isinstance(p, int) and p > 0 and p != os.getpid()}
            asys.shutdown()
    except CommandError as exc:
        return _fail("shutdown", str(exc))
    deadline = time.monotonic() + SHUTDOWN_LIMIT
    while True:
        left = sorted(p for p in pids if procs.pid_alive(p))
        if not left:
            break
        if time.monotonic() > deadline:
            return _fail("shutdown", f"processes still running after {SHUTDOWN_LIMIT:g} s: "
                                     f"{', '.join(map(str, left))}")
        time.sleep(0.05)
    print(f"{info.name} on port {port} stopped ({len(pids)} process{'es' if len(pids) != 1 else ''})")
    return 0
