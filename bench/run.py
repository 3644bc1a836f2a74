"""Benchmark driver: actorcore against Thespian 4.0.1, workload by workload.

    python bench/run.py [--bases simpleSystemBase,...] [--workloads ask,...]
                        [--reps 3] [--thespian-python PATH] [--no-thespian]
                        [--quick] [--timeout 300]

Runs under a Python with actorcore (and the base distributions) installed;
Thespian runs under a second interpreter (``--thespian-python``, or a venv
made once at ``<repo>/.nox/thespian-bench``).  Every repetition of every
(workload, base, implementation) is its own subprocess with a hard timeout,
so a hang or crash is reported as a result.  One JSON line per
(workload, base) goes to stdout and to ``bench/results/latest.jsonl``; see
``bench/README.md`` for the fields.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
THESPIAN_VENV = REPO / ".nox" / "thespian-bench"
THESPIAN_VERSION = "4.0.1"
RESULTS = BENCH_DIR / "results" / "latest.jsonl"

sys.path.insert(0, str(BENCH_DIR))
import bench_procs as procs  # noqa: E402
import table  # noqa: E402
from targets import REFERENCE, TARGETS  # noqa: E402

WORKLOADS = ["ask", "pingpong", "fanout", "bigmsg", "hugemsg", "spawn"]
THESPIAN_BASES = ["simpleSystemBase", "multiprocQueueBase", "multiprocUDPBase", "multiprocTCPBase"]

# (result key, metric name, unit, better) -- the first entry of each list is
# the line's headline metric, the others go to "extra" with the same shape.
METRICS: dict[str, list[tuple[str, str, str, str]]] = {
    "ask": [
        ("median_us", "ask round trip, median", "us", "lower"),
        ("p99_us", "ask round trip, p99", "us", "lower"),
        ("cpu_s_per_10k", "CPU seconds per 10,000 messages, every process", "s", "lower"),
    ],
    "pingpong": [("msgs_per_s", "messages/s", "msg/s", "higher"), ("cpu_s_per_10k", "CPU seconds per 10,000 messages, every process", "s", "lower")],
    "fanout": [
        ("msgs_per_s", "messages/s (requests + replies)", "msg/s", "higher"),
        ("ms_per_child", "ms per child created (until it answered)", "ms", "lower"),
        ("total_msgs_per_s", "messages/s including the creation phase", "msg/s", "higher"),
        ("cpu_s_per_10k", "CPU seconds per 10,000 messages, creates included, every process",
         "s", "lower"),
    ],
    "bigmsg": [("MBps", "1 MiB ask round trips, both directions", "MB/s", "higher")],
    "hugemsg": [
        ("MBps", "64 MiB ask round trips, both directions", "MB/s", "higher"),
        ("system_peak_growth_mib", "largest peak RSS growth of a system process", "MiB", "lower"),
        ("client_peak_growth_mib", "asking process's peak RSS growth", "MiB", "lower"),
    ],
    "spawn": [
        ("create_ms_per_actor", "ms per actor created", "ms", "lower"),
        ("exit_ms_per_actor", "ms per actor exited (process gone)", "ms", "lower"),
        ("ping_ms_per_actor", "ms per first ping of a new actor", "ms", "lower"),
    ],
}
RATIO_DEF = {
    "higher": "actorcore/thespian; >1 means actorcore is better",
    "lower": "thespian/actorcore; >1 means actorcore is better",
}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --- interpreters and bases ------------------------------------------------


def ensure_thespian_python() -> str:
    """The venv's python with thespian==4.0.1, created on first use only."""
    py = THESPIAN_VENV / "bin" / "python"
    check = f"import importlib.metadata as m; assert m.version('thespian') == '{THESPIAN_VERSION}'"
    if py.exists() and subprocess.run([py, "-c", check], capture_output=True).returncode == 0:
        return str(py)
    log(f"creating {THESPIAN_VENV} with thespian=={THESPIAN_VERSION}")
    subprocess.run([sys.executable, "-m", "venv", str(THESPIAN_VENV)], check=True)
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", f"thespian=={THESPIAN_VERSION}"],
        check=True,
    )
    return str(py)


def actorcore_bases() -> dict[str, dict[str, Any]]:
    """Bases installed for actorcore in this interpreter: name -> info."""
    try:
        from actorcore._core import plugins
    except ImportError as exc:
        log(f"actorcore is not importable here ({exc}); no actorcore bases")
        return {}
    return {
        i.name: {
            "multiprocess": i.multiprocess,
            "capabilities": dict(i.capabilities),
            "distribution": i.distribution,
            "version": i.version,
        }
        for i in plugins.registry().infos()
    }


def version_of(python: str, dist: str) -> str | None:
    try:
        r = subprocess.run(
            [python, "-c", f"import importlib.metadata as m; print(m.version('{dist}'))"],
            capture_output=True,
            text=True,
        )
    except OSError:  # a wrong --thespian-python: the reps will say so too
        return None
    return r.stdout.strip() if r.returncode == 0 else None


# --- one repetition --------------------------------------------------------


def run_worker(
    impl: str,
    python: str,
    base: str,
    workload: str,
    *,
    quick: bool,
    admin_port: bool,
    timeout: float,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run one workload once in a fresh process (own session, so its whole
    tree can be found and killed by session/group id) and return its figures
    or ``{"error": ...}``, plus ``leftover_processes``."""
    env = dict(os.environ)
    env["BENCH_IMPL"] = impl
    env.update(extra_env or {})
    # Child processes of multiprocess bases import bench_actors by name.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH_DIR), env.get("PYTHONPATH")]))
    env["THESPIAN_BASE_IPADDR"] = "127.0.0.1"  # keep Thespian's addresses on loopback
    cmd = [python, str(BENCH_DIR / "workloads.py"), "--base", base, "--workload", workload]
    if quick:
        cmd.append("--quick")
    if admin_port:
        cmd += ["--admin-port", str(procs.free_port())]
    # Files, not pipes: a grandchild that keeps stdout open must not block us.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        try:
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=err, env=env, cwd=str(REPO), start_new_session=True
            )
        except OSError as exc:  # e.g. a wrong --thespian-python
            return {"error": f"cannot start {python}: {exc}", "leftover_processes": 0}
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True

        def strays() -> list[procs.Proc]:
            # The driver is a subreaper (main()), so whatever the worker left
            # -- including Thespian's daemonized admin, which has a session of
            # its own -- hangs below us; the session scan covers the case
            # where prctl was unavailable.
            found = {p.pid: p for p in procs.descendants(os.getpid())}
            found.update((p.pid, p) for p in procs.in_session(proc.pid))
            found.pop(proc.pid, None)
            return list(found.values())

        if timed_out:
            left = strays()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # our worker's own group only
            except ProcessLookupError:
                pass
            procs.kill_pids(left)
            proc.wait()
        else:
            left = procs.wait_gone(strays, 5.0)  # grace for processes on their way out
            procs.kill_pids(left)
        procs.kill_pids(procs.wait_gone(strays, 2.0))
        procs.reap_zombie_children()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    result: dict[str, Any] | None = None
    cleanup: dict[str, Any] = {}
    for line in stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line[len("BENCH_RESULT ") :])
        elif line.startswith("BENCH_CLEANUP "):
            cleanup = json.loads(line[len("BENCH_CLEANUP ") :])
    if result is None:
        if timed_out:
            result = {"error": "timeout"}
        else:
            tail = " | ".join(stderr.strip().splitlines()[-3:])
            result = {"error": f"exit code {proc.returncode}: {tail}"[:500]}
    elif timed_out:
        result["shutdown_error"] = "timeout during shutdown/cleanup"
    if cleanup.get("shutdown_error"):
        result["shutdown_error"] = cleanup["shutdown_error"]
    result["leftover_processes"] = cleanup.get("leftover_processes", 0) + len(left)
    return result


# --- aggregation -----------------------------------------------------------


def median_of(reps: list[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in reps if "error" not in r and isinstance(r.get(key), (int, float))]
    return statistics.median(vals) if vals else None


def ratio(ac: float | None, th: float | None, better: str) -> float | None:
    if not ac or not th:
        return None
    return ac / th if better == "higher" else th / ac


def target_met(value: float | None, target: Any, better: str) -> bool | None:
    if target is None:
        return None
    if target == "works":
        return value is not None
    if value is None:
        return False
    return value >= target if better == "higher" else value <= target


def side_summary(reps: list[dict[str, Any]] | None) -> dict[str, Any]:
    if reps is None:
        return {"ran": False}
    errors = sorted({r["error"] for r in reps if "error" in r})
    shutdown = sorted({r["shutdown_error"] for r in reps if "shutdown_error" in r})
    s: dict[str, Any] = {
        "ok_reps": sum("error" not in r for r in reps),
        "reps": len(reps),
        "leftover_processes": sum(r.get("leftover_processes", 0) for r in reps),
    }
    if errors:
        s["errors"] = errors
    if shutdown:
        s["shutdown_errors"] = shutdown
    partial = sorted({r["partial_error"] for r in reps if "partial_error" in r})
    if partial:
        s["partial_errors"] = partial  # a rep that measured some figures but not all
    return s


def build_line(
    workload: str, base: str, ac: list[dict[str, Any]] | None, th: list[dict[str, Any]] | None
) -> dict[str, Any]:
    metrics = METRICS[workload]
    figures: list[dict[str, Any]] = []
    for key, name, unit, better in metrics:
        a = median_of(ac, key) if ac else None
        t = median_of(th, key) if th else None
        target = TARGETS.get((workload, base, key))
        figures.append(
            {
                "key": key,
                "metric": name,
                "unit": unit,
                "better": better,
                "actorcore": a,
                "thespian": t,
                "ratio": ratio(a, t, better),
                "target": target,
                "target_met": target_met(a, target, better) if ac else None,
                "thespian_bench_md": REFERENCE.get((workload, base, key)),
            }
        )
    head, rest = figures[0], figures[1:]
    sample = next((r for r in (ac or []) + (th or []) if "error" not in r), {})
    extra: dict[str, Any] = {f["key"]: {k: v for k, v in f.items() if k != "key"} for f in rest}
    extra["n"] = {k: sample[k] for k in ("n", "k", "m") if k in sample}
    extra["thespian_bench_md"] = head["thespian_bench_md"]
    return {
        "workload": workload,
        "base": base,
        "metric": head["metric"],
        "unit": head["unit"],
        "actorcore": head["actorcore"],
        "thespian": head["thespian"],
        "ratio": head["ratio"],
        "ratio_def": RATIO_DEF[head["better"]],
        "better": head["better"],
        "target": head["target"],
        "target_met": head["target_met"],
        "leftover_processes": sum(r.get("leftover_processes", 0) for r in (ac or []) + (th or [])),
        "sides": {"actorcore": side_summary(ac), "thespian": side_summary(th)},
        "extra": extra,
    }


def run_limits(reps: int, quick: bool, timeout: float, script: str = "limits.py") -> list[dict[str, Any]]:
    """Median over reps of each line of ``script`` (the physical limits, or the
    raw-Ray floor), each rep in a fresh process."""
    runs: list[list[dict[str, Any]]] = []
    for _ in range(reps):
        cmd = [sys.executable, str(BENCH_DIR / script)] + (["--quick"] if quick else [])
        try:
            r = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, start_new_session=True
            )
            runs.append([json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")])
        except subprocess.TimeoutExpired:
            log(f"{script} timed out")
        # Its echo processes must not be mistaken for a workload's leftovers.
        procs.kill_pids(procs.wait_gone(lambda: procs.descendants(os.getpid()), 2.0))
        procs.reap_zombie_children()
    if not runs or not any(runs):
        return [{"workload": script.removesuffix(".py"), "error": f"no run of {script} finished"}]
    lines = []
    for first in runs[0]:
        same = [x for run in runs for x in run if x["workload"] == first["workload"]]
        line = dict(first)
        line["value"] = statistics.median(x["value"] for x in same)
        line["reps"] = len(same)
        lines.append(line)
    return lines


# --- main ------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--security"]:  # `nox -s bench -- --security [...]`: what authentication costs
        import security

        return security.main(args[1:])
    if args[:1] == ["--asyncio"]:  # `nox -s bench -- --asyncio [...]`: what asyncio actors cost
        import asyncio_bench

        return asyncio_bench.main(args[1:])
    ap = argparse.ArgumentParser(
        description="actorcore vs Thespian benchmarks (bench/README.md); "
        "`--security [options]` first instead: what authentication costs (bench/security.py); "
        "`--asyncio [options]`: what asyncio actors cost and win (bench/asyncio_bench.py)"
    )
    ap.add_argument("--bases", help="comma-separated base names (default: every actorcore base)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3; --quick: 1)")
    ap.add_argument("--thespian-python", help="interpreter with thespian==4.0.1 installed")
    ap.add_argument("--no-thespian", action="store_true", help="measure actorcore only")
    ap.add_argument("--quick", action="store_true", help="smoke test: 1 rep, small N")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per workload run")
    ap.add_argument("--no-limits", action="store_true", help="skip the physical limits")
    ap.add_argument(
        "--no-ray-floor", action="store_true",
        help="skip the raw-Ray floor measured when rayBase is among the bases (ray_floor.py)",
    )
    ap.add_argument(
        "--output", type=Path, default=RESULTS, help=f"JSON lines file (default {RESULTS})"
    )
    # Harness testing only: run the Thespian side even for bases actorcore lacks.
    ap.add_argument("--thespian-only", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    reps = a.reps if a.reps is not None else (1 if a.quick else 3)
    procs.become_subreaper()  # see run_worker.strays
    workloads = [w.strip() for w in a.workloads.split(",") if w.strip()]
    for w in workloads:
        if w not in METRICS:
            ap.error(f"unknown workload {w!r} (known: {', '.join(WORKLOADS)})")
    ac_bases = {} if a.thespian_only else actorcore_bases()
    if a.bases:
        bases = [b.strip() for b in a.bases.split(",") if b.strip()]
    elif a.thespian_only:
        bases = list(THESPIAN_BASES)
    else:
        bases = sorted(ac_bases, key=lambda b: (THESPIAN_BASES + [b]).index(b))
    if not a.thespian_only:
        missing = [b for b in bases if b not in ac_bases]
        for b in missing:
            log(f"skipping {b}: not installed for actorcore (installed: {sorted(ac_bases)})")
        bases = [b for b in bases if b in ac_bases]
    if not bases:
        log("no bases to measure")
    th_python, th_error = None, None
    if not a.no_thespian:
        try:
            th_python = a.thespian_python or ensure_thespian_python()
        except (OSError, subprocess.CalledProcessError) as exc:
            # No Thespian (e.g. no registry): still measure actorcore, say why.
            th_error = f"{type(exc).__name__}: {exc}"
            log(f"Thespian side skipped: {th_error}")

    a.output.parent.mkdir(parents=True, exist_ok=True)
    emitted: list[dict[str, Any]] = []
    with a.output.open("w") as sink:

        def emit(line: dict[str, Any]) -> None:
            text = json.dumps(line, default=str)
            print(text, flush=True)
            sink.write(text + "\n")
            sink.flush()
            emitted.append(json.loads(text))

        emit(
            {
                "workload": "meta",
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "reps": reps,
                "quick": a.quick,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "actorcore_python": sys.executable,
                "thespian_python": th_python,
                "thespian_error": th_error,
                "thespian": version_of(th_python, "thespian") if th_python else None,
                "actorcore": version_of(sys.executable, "actorcore"),
                "actorcore_bases": ac_bases,
                "bases": bases,
                "workloads": workloads,
            }
        )
        if not a.no_limits:
            log("measuring physical limits")
            for line in run_limits(reps, a.quick, a.timeout):
                emit(line)
        if "rayBase" in bases and not a.no_ray_floor:
            # rayBase's overhead is its gap to bare Ray on this machine, in this run
            log("measuring the raw-Ray floor")
            for line in run_limits(reps, a.quick, a.timeout, "ray_floor.py"):
                emit(line)
        for base in bases:
            info = ac_bases.get(base, {})
            port = "UDP" in base or "TCP" in base or "Admin Port" in info.get("capabilities", {})
            for workload in workloads:
                sides: dict[str, list[dict[str, Any]] | None] = {
                    "actorcore": None,
                    "thespian": None,
                }
                runners = []
                if not a.thespian_only:
                    sides["actorcore"] = []
                    runners.append(("actorcore", sys.executable))
                if th_python and base in THESPIAN_BASES:
                    sides["thespian"] = []
                    runners.append(("thespian", th_python))
                hung: set[str] = set()
                for rep in range(reps):
                    for impl, py in runners:  # interleaved, so drift hits both alike
                        if impl in hung:
                            # A hang (Thespian's UDP fanout) costs minutes per rep and
                            # says the same thing each time: report it once.
                            continue
                        t = time.monotonic()
                        r = run_worker(
                            impl,
                            py,
                            base,
                            workload,
                            quick=a.quick,
                            admin_port=port,
                            timeout=a.timeout,
                        )
                        log(
                            f"{workload} {base} {impl} rep {rep + 1}/{reps} "
                            f"({time.monotonic() - t:.1f} s): {json.dumps(r)[:300]}"
                        )
                        sides[impl].append(r)  # type: ignore[union-attr]
                        failed = r.get("error", "") + r.get("partial_error", "")
                        if any(
                            w in failed for w in ("timeout", "NoReply", "Timeout", "still running")
                        ):
                            hung.add(impl)
                emit(build_line(workload, base, sides["actorcore"], sides["thespian"]))
    summary = table.render(emitted)
    a.output.with_suffix(".md").write_text(summary)
    log("summary (also in " + str(a.output.with_suffix(".md")) + "):\n" + summary)
    log(f"wrote {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
