"""The ``actorcore`` command line (docs/api.md §9.2; docs/operations.md):
``bases``, ``demo``, and ``start``, ``status``, ``shutdown``, ``metrics`` for a
system that runs on its own.

Exit codes fit a shell script: 0 success, 1 the command failed (message on
stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    # The last column (the summary) is not padded: no trailing blanks.
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]


def cmd_bases(args: argparse.Namespace) -> int:
    """List the installed system bases and any plugin that failed to load."""
    from ._core import plugins
    from ._core.registry import KNOWN_DISTRIBUTIONS

    infos = plugins.registry().infos()
    errors = plugins.load_errors()
    if infos:
        rows: list[tuple[str, ...]] = [("NAME", "DISTRIBUTION", "VERSION", "SUMMARY")]
        for info in infos:
            rows.append((info.name, info.distribution or "-", info.version or "-", info.summary))
        for line in _table(rows):
            print(line.rstrip())
        if args.verbose:
            for info in infos:
                caps = ", ".join(f"{k}={v!r}" for k, v in info.capabilities.items()) or "-"
                features = ", ".join(f"{k}={v!r}" for k, v in info.features().items()) or "-"
                print(
                    f"\n{info.name}: plugin {info.plugin!r}; default capabilities: {caps}"
                    f"\n  features: {features}"
                )
    for name, reason in sorted(errors.items()):
        print(f"actorcore bases: plugin {name!r} failed to load: {reason}", file=sys.stderr)
    if not infos:
        known = ", ".join(f"{d} ({n})" for n, d in KNOWN_DISTRIBUTIONS.items())
        print(
            "actorcore bases: no system base is installed. Install one of: "
            f"{known}; e.g. `pip install actorbase-simple`.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the word-count demo and narrate it."""
    from . import demo

    text = demo.TEXT
    if args.file is not None:
        try:
            with open(args.file, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            print(f"actorcore demo: cannot read {args.file}: {exc}", file=sys.stderr)
            return 1
    caps = None if args.port is None else {"Admin Port": args.port}
    return demo.run(base=args.base, workers=args.workers, text=text, capabilities=caps)


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _port(value: str) -> int:
    n = int(value)
    if not 0 < n < 65536:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, not {n}")
    return n


def _seconds(value: str) -> float:
    n = float(value)
    if not n > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {value}")
    return n


def _ops(name: str) -> Any:
    """A command of :mod:`actorcore._core.ops.commands`, imported when run."""
    def run(args: argparse.Namespace) -> int:
        from ._core.ops import commands

        result: int = getattr(commands, name)(args)
        return result
    return run


def _capability(text: str) -> tuple[str, Any]:
    from ._core.ops.commands import capability

    return capability(text)


def _add_ops(sub: Any) -> None:
    where = "the system's Admin Port (default: the base's, e.g. 1900 for TCP)"
    which = "its base (default: try each installed base with an Admin Port, TCP first)"

    start = sub.add_parser("start", help="start a system that runs on after this command")
    start.add_argument("--base", required=True, help="a base with an Admin Port, e.g. multiprocTCPBase")
    start.add_argument("--port", type=_port, help="Admin Port (default: the base's)")
    start.add_argument("--capability", metavar="NAME=VALUE", type=_capability, action="append",
                       help="a capability; VALUE is JSON where it parses, else text (repeatable)")
    start.add_argument("--convention", metavar="HOST:PORT",
                       help="join the convention whose leader's admin is there")
    start.add_argument("--log", metavar="FILE", help="the system's log file "
                       "(default: $XDG_STATE_HOME/actorcore/<base>-<port>.log)")
    start.set_defaults(func=_ops("cmd_start"))

    for name, text in (("status", "show the actor tree of a running system (and its members)"),
                       ("metrics", "print the counters in the Prometheus text format"),
                       ("shutdown", "stop a running system; returns when all its processes are gone")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--port", type=_port, help=where)
        cmd.add_argument("--base", help=which)
        if name != "shutdown":
            cmd.add_argument("--timeout", type=_seconds, default=2.0,
                             help="seconds to wait for each system's answers (default: %(default)s)")
        if name == "status":
            cmd.add_argument("--json", action="store_true", help="JSON (schema: docs/operations.md)")
            cmd.add_argument("--watch", metavar="SECONDS", type=_seconds,
                             help="redraw every SECONDS until Ctrl-C")
        cmd.set_defaults(func=_ops(f"cmd_{name}"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="actorcore",
        description="Actors on pluggable system bases (a Thespian-compatible API).",
    )
    parser.add_argument("--version", action="version", version=f"actorcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    bases = sub.add_parser("bases", help="list the installed system bases")
    bases.add_argument(
        "-v", "--verbose", action="store_true", help="also show plugins and default capabilities"
    )
    bases.set_defaults(func=cmd_bases)

    demo = sub.add_parser("demo", help="run a small word-count job on the default base")
    demo.add_argument(
        "--base", default="simpleSystemBase", help="system base to run on (default: %(default)s)"
    )
    demo.add_argument(
        "--workers", type=_positive, default=3, help="worker actors (default: %(default)s)"
    )
    demo.add_argument(
        "--port", type=_positive, help="Admin Port for bases that have one (UDP, TCP)"
    )
    demo.add_argument("file", nargs="?", help="text file to count (default: a built-in text)")
    demo.set_defaults(func=cmd_demo)
    _add_ops(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``actorcore`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help/--version/usage errors
        return exc.code if isinstance(exc.code, int) else 2
    result: int = args.func(args)
    return result
