"""What authentication costs (issue 10): ask and pingpong on the network bases,
in one run, three ways, repetitions interleaved so drift hits each alike:

- ``unauthenticated``: actorcore as it was before every connection was
  authenticated (git revision ``--baseline-rev``, installed once into
  ``<repo>/.nox/security-baseline``);
- ``secret``: this checkout, every connection authenticated and every frame
  (or datagram) carrying a MAC;
- ``tls``: this checkout with mutual TLS as well (TCP only; certificates
  made for the run with trustme).

    python bench/security.py [--bases multiprocTCPBase,multiprocUDPBase]
                             [--workloads ask,pingpong] [--reps 3] [--quick]

Prints one JSON line per (workload, base, variant) with the median and its
cost against ``unauthenticated`` (for ask: latency increase; for pingpong:
throughput decrease), and ``paired_cost``: the median of each repetition's
cost against the unauthenticated run beside it, which drift over the run
does not move. Writes them to ``bench/results/security.jsonl``.
Benchmarks, not tests: nothing fails on a figure.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import run  # the harness: run_worker, median_of, bench_procs

BASELINE_REV = "3d878dd"  # the last commit before connections were authenticated
BASELINE_VENV = run.REPO / ".nox" / "security-baseline"
HEADLINE = {"ask": ("median_us", "lower"), "pingpong": ("msgs_per_s", "higher")}


def baseline_python(rev: str) -> str:
    """A venv with actorcore and the socket bases as of ``rev`` (made once)."""
    py = BASELINE_VENV / "bin" / "python"
    stamp = BASELINE_VENV / "REV"
    if py.exists() and stamp.exists() and stamp.read_text() == rev:
        return str(py)
    run.log(f"installing actorcore at {rev} into {BASELINE_VENV}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(BASELINE_VENV)], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "src.tar"
        subprocess.run(["git", "-C", str(run.REPO), "archive", "-o", str(archive), rev], check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        subprocess.run([str(py), "-m", "pip", "install", "-q", f"{tmp}/actorcore",
                        f"{tmp}/actorbase-tcp", f"{tmp}/actorbase-udp"], check=True)
    stamp.write_text(rev)
    return str(py)


def tls_capabilities(folder: Path) -> dict[str, str]:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    return {"TLS Certificate": str(folder / "cert.pem"), "TLS Key": str(folder / "key.pem"),
            "TLS CA": str(folder / "ca.pem")}


def cost(value: float | None, base: float | None, better: str) -> float | None:
    """How much worse than the baseline, as a fraction (0.05: 5% worse)."""
    if not value or not base:
        return None
    return value / base - 1 if better == "lower" else 1 - value / base


def paired_cost(runs: list[dict[str, Any]], base_runs: list[dict[str, Any]], key: str,
                better: str) -> float | None:
    """The median of the costs of each repetition against the unauthenticated
    run of the same repetition (run next to it): drift over the whole run,
    which moves both, cancels out."""
    pairs = (cost(r.get(key), b.get(key), better) for r, b in zip(runs, base_runs, strict=True))
    costs = sorted(c for c in pairs if c is not None)
    if not costs:
        return None
    mid = len(costs) // 2
    return costs[mid] if len(costs) % 2 else (costs[mid - 1] + costs[mid]) / 2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bases", default="multiprocTCPBase,multiprocUDPBase")
    ap.add_argument("--workloads", default="ask,pingpong")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--output", type=Path, default=run.BENCH_DIR / "results" / "security.jsonl")
    a = ap.parse_args(argv)
    run.procs.become_subreaper()
    installed = run.actorcore_bases()
    bases = [b for b in a.bases.split(",") if b in installed]
    old = baseline_python(a.baseline_rev)
    a.output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as certs, a.output.open("w") as sink:
        tls_env = {"BENCH_CAPABILITIES": json.dumps(tls_capabilities(Path(certs)))}
        for base in bases:
            variants: list[tuple[str, str, dict[str, str]]] = [
                ("unauthenticated", old, {}), ("secret", sys.executable, {})]
            if "TCP" in base:
                variants.append(("tls", sys.executable, tls_env))
            for workload in a.workloads.split(","):
                key, better = HEADLINE[workload]
                reps: dict[str, list[dict[str, Any]]] = {v[0]: [] for v in variants}
                for rep in range(a.reps):
                    # every other repetition runs the variants in reverse, so
                    # that going first (or last) favours none of them
                    for name, py, env in (variants if rep % 2 == 0 else variants[::-1]):
                        t = time.monotonic()
                        r = run.run_worker("actorcore", py, base, workload, quick=a.quick,
                                           admin_port=True, timeout=a.timeout, extra_env=env)
                        run.log(f"{workload} {base} {name} rep {rep + 1}/{a.reps} "
                                f"({time.monotonic() - t:.1f} s): {json.dumps(r)[:200]}")
                        reps[name].append(r)
                base_value = run.median_of(reps["unauthenticated"], key)
                for name, _, _ in variants:
                    value = run.median_of(reps[name], key)
                    line = {"workload": workload, "base": base, "variant": name, "key": key,
                            "median": value, "reps": [r.get(key) for r in reps[name]],
                            "cost_vs_unauthenticated": cost(value, base_value, better),
                            "paired_cost": paired_cost(reps[name], reps["unauthenticated"], key, better),
                            "errors": [r["error"] for r in reps[name] if "error" in r]}
                    print(json.dumps(line), flush=True)
                    sink.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
