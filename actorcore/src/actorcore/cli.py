"""The ``actorcore`` command line (docs/api.md §9.2): ``bases`` and ``demo``.

Exit codes fit a shell script: 0 success, 1 the command failed (message on
stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
