"""The BENCH.md workloads, written once against the Thespian API.

Run one workload once, in a fresh process, and print its figures::

    BENCH_IMPL=thespian PYTHONPATH=bench python bench/workloads.py \
        --base multiprocTCPBase --workload ask --admin-port 41234

The driver (``run.py``) does exactly that, once per repetition, so that a
crash or hang of one workload cannot take the others with it.  Output is
two marker lines on stdout: ``BENCH_RESULT {json}`` as soon as the figures
are known (before shutdown, so a hanging shutdown loses no figures) and
``BENCH_CLEANUP {json}`` after shutdown and the left-over-process check.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import traceback
from datetime import timedelta
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # bench_actors, procs

import bench_procs as procs  # noqa: E402

SIMPLE_BASE = "simpleSystemBase"

# N per workload: (simple base, multiprocess bases); --quick uses the second pair.
SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "ask": {"full": (20000, 2000), "quick": (2000, 200)},
    "pingpong": {"full": (200000, 20000), "quick": (20000, 2000)},
    "fanout": {"full": (100, 100), "quick": (20, 20)},  # (K children, M messages) for all bases
    "bigmsg": {"full": (50, 50), "quick": (10, 10)},
    "hugemsg": {"full": (5, 5), "quick": (2, 2)},
    "spawn": {"full": (200, 200), "quick": (20, 20)},
}
BIG = 1 << 20  # bigmsg payload: 1 MiB
HUGE = 64 << 20  # hugemsg payload: 64 MiB
EXIT_WAIT = 60  # s for spawned actors' processes to end after ActorExitRequest
ASK_TIMEOUT = timedelta(seconds=60)  # per ask; a None reply is reported as an error
LONG_TIMEOUT = timedelta(
    seconds=120
)  # whole-workload asks (pingpong, fanout): ~6x the slowest healthy run seen


class NoReply(RuntimeError):
    pass


def _ask(asys: Any, addr: Any, msg: Any, timeout: timedelta = ASK_TIMEOUT) -> Any:
    reply = asys.ask(addr, msg, timeout)
    if reply is None:
        raise NoReply(f"no reply within {timeout.total_seconds():g} s")
    return reply


def _cpu() -> float:
    return procs.cpu_seconds(os.getpid())


def _per_10k(cpu: float, messages: int) -> float:
    """CPU seconds per 10,000 messages, every process of the system counted
    (BENCH.md: a figure bought with a spinning core shows here)."""
    return cpu * 10_000 / messages


def size_for(workload: str, base: str, quick: bool) -> int:
    simple, multi = SIZES[workload]["quick" if quick else "full"]
    return simple if base == SIMPLE_BASE else multi


def w_ask(asys: Any, n: int, base: str) -> dict[str, Any]:
    from bench_actors import Echo

    echo = asys.createActor(Echo)
    for i in range(min(100, n)):  # warm-up: first messages pay for connections
        _ask(asys, echo, i)
    samples = []
    clock = time.perf_counter_ns
    cpu = _cpu()
    for i in range(n):
        t = clock()
        reply = _ask(asys, echo, i)
        samples.append(clock() - t)
        if reply != i:
            raise RuntimeError(f"ask {i} answered {reply!r}")
    cpu = _cpu() - cpu
    samples.sort()
    return {
        "n": n,
        "cpu_s_per_10k": _per_10k(cpu, 2 * n),
        "median_us": statistics.median(samples) / 1000,
        "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000,
    }


def w_pingpong(asys: Any, n: int, base: str) -> dict[str, Any]:
    from bench_actors import Pinger, Ponger

    pinger, ponger = asys.createActor(Pinger), asys.createActor(Ponger)
    cpu = _cpu()
    t = time.perf_counter()
    asys.tell(pinger, ("start", ponger, n))
    messages = _ask(asys, pinger, "done?", LONG_TIMEOUT)
    elapsed = time.perf_counter() - t
    cpu = _cpu() - cpu
    return {"n": n, "messages": messages, "seconds": elapsed, "msgs_per_s": messages / elapsed,
            "cpu_s_per_10k": _per_10k(cpu, messages)}


def w_fanout(asys: Any, k: int, base: str) -> dict[str, Any]:
    from bench_actors import FanoutParent

    m = k  # BENCH.md: K = M = 100 (quick: 20)
    parent = asys.createActor(FanoutParent)
    cpu = _cpu()
    t = time.perf_counter()
    r = _ask(asys, parent, ("go", k, m), LONG_TIMEOUT)
    wall = time.perf_counter() - t
    cpu = _cpu() - cpu
    if not isinstance(r, dict):
        raise RuntimeError(f"fanout answered {r!r}")
    total_msgs = r["traffic_messages"] + 2 * k
    return {
        "k": k,
        "m": m,
        "msgs_per_s": r["traffic_messages"] / r["traffic_s"],
        "ms_per_child": r["create_s"] * 1000 / k,
        "total_msgs_per_s": total_msgs / (r["create_s"] + r["traffic_s"]),
        "wall_s": wall,
        "cpu_s_per_10k": _per_10k(cpu, total_msgs),  # the creates' CPU is in it too
    }


def w_bigmsg(asys: Any, n: int, base: str) -> dict[str, Any]:
    from bench_actors import Echo

    payload = os.urandom(BIG)
    echo = asys.createActor(Echo)
    if _ask(asys, echo, payload) != payload:  # warm-up and a full content check
        raise RuntimeError("bigmsg reply differs from the payload")
    t = time.perf_counter()
    for _ in range(n):
        reply = _ask(asys, echo, payload)
        if len(reply) != BIG:
            raise RuntimeError(f"bigmsg reply has {len(reply)} bytes")
    elapsed = time.perf_counter() - t
    # Both directions counted: request and reply each carry the payload.
    return {"n": n, "MBps": 2 * n * BIG / elapsed / 1e6, "seconds": elapsed}


def _peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), in MiB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def w_hugemsg(asys: Any, n: int, base: str) -> dict[str, Any]:
    """A 64 MiB ``bytes`` round trip; besides MB/s, how much the peak RSS
    (VmHWM) of each process of the system grew (the largest: the echo actor,
    which receives every request, or an admin that forwards them) and of this
    process, to show how many copies of the payload a process holds at once."""
    from bench_actors import Echo

    me = os.getpid()
    payload = os.urandom(HUGE)
    echo = asys.createActor(Echo)
    if _ask(asys, echo, b"warm") != b"warm":
        raise RuntimeError("hugemsg warm-up failed")
    pids = [p.pid for p in procs.descendants(me)]
    base_rss = {pid: _peak_rss_mib(pid) for pid in pids}
    client_base = _peak_rss_mib(me)
    t = time.perf_counter()
    for _ in range(n):
        reply = _ask(asys, echo, payload)
        if len(reply) != HUGE:
            raise RuntimeError(f"hugemsg reply has {len(reply)} bytes")
        del reply
    elapsed = time.perf_counter() - t
    growth = [(_peak_rss_mib(pid) or 0.0) - (base_rss[pid] or 0.0) for pid in pids]
    result: dict[str, Any] = {"n": n, "MBps": 2 * n * HUGE / elapsed / 1e6, "seconds": elapsed,
                              "payload_mib": HUGE >> 20}
    if growth:  # multiprocess bases
        result["system_peak_growth_mib"] = max(growth)
    result["client_peak_growth_mib"] = (_peak_rss_mib(me) or 0.0) - (client_base or 0.0)
    return result


def _is_spare(pid: int) -> bool:
    """A process actorcore's admin forked ahead of a create (runtime/spare.py)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"(spare)" in fh.read()
    except OSError:
        return False


def _idle_memory(pids: list[int], n: int) -> dict[str, float]:
    """Median PSS and RSS (MiB, /proc/PID/smaps_rollup) of the processes a
    spawn started, when it started about one per actor (multiprocess bases);
    PSS shares each page among the processes that map it, so it is what one
    more actor costs the machine."""
    if len(pids) < n // 2:
        return {}  # the actors run in processes that were there before (simple base)
    pss, rss = [], []
    for pid in pids:
        got = {}
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    key, _, rest = line.partition(":")
                    if key in ("Pss", "Rss"):
                        got[key] = int(rest.split()[0]) / 1024
        except OSError:
            continue
        if len(got) == 2:
            pss.append(got["Pss"])
            rss.append(got["Rss"])
    if not pss:
        return {}
    return {"idle_actor_pss_mib": statistics.median(pss), "idle_actor_rss_mib": statistics.median(rss)}


def w_spawn(asys: Any, n: int, base: str) -> dict[str, Any]:
    from bench_actors import ActorExitRequest, Echo

    me = os.getpid()
    existing = {p.pid for p in procs.descendants(me)}
    t0 = time.perf_counter()
    addrs = [asys.createActor(Echo) for _ in range(n)]
    t1 = time.perf_counter()
    for i, a in enumerate(addrs):
        if _ask(asys, a, i) != i:
            raise RuntimeError("spawn ping answered wrongly")
    t2 = time.perf_counter()
    # The actors' processes: what the creates started, less a spare the
    # admin forks ahead of the next create (it stays until shutdown).
    actors = [p.pid for p in procs.descendants(me) if p.pid not in existing and not _is_spare(p.pid)]
    # what an idle actor costs in memory, read between the timed parts
    memory = _idle_memory(actors, n)
    t_exit = time.perf_counter()
    for a in addrs:
        asys.tell(a, ActorExitRequest())
    # "Exited" means gone: on multiprocess bases wait until the actor
    # processes have really ended (not merely been told), judged the same
    # way for both implementations; on the simple base tell() already ran
    # the exits to completion and no process was started.
    deadline = time.monotonic() + EXIT_WAIT
    exited = True
    while any(procs.running(pid) for pid in actors):
        if time.monotonic() > deadline:
            exited = False
            break
        time.sleep(0.001)
    t3 = time.perf_counter()
    result: dict[str, Any] = {
        "n": n,
        "create_ms_per_actor": (t1 - t0) * 1000 / n,
        "ping_ms_per_actor": (t2 - t1) * 1000 / n,
        "exit_ms_per_actor": (t3 - t_exit) * 1000 / n if exited else None,
        **memory,
    }
    if not exited:
        # Keep the creation figures; the exit figure is what failed.
        left = sum(procs.running(pid) for pid in actors)
        result["partial_error"] = (
            f"{left} of {n} actor processes still running {EXIT_WAIT} s after ActorExitRequest"
        )
    return result


WORKLOADS: dict[str, Callable[[Any, int, str], dict[str, Any]]] = {
    "ask": w_ask,
    "pingpong": w_pingpong,
    "fanout": w_fanout,
    "bigmsg": w_bigmsg,
    "hugemsg": w_hugemsg,
    "spawn": w_spawn,
}


def _emit(tag: str, data: dict[str, Any]) -> None:
    print(f"{tag} {json.dumps(data)}", flush=True)


def run_one(base: str, workload: str, quick: bool, admin_port: int | None) -> None:
    import bench_actors

    # Orphans (a daemonized admin) re-parent to us, so the check below sees them.
    procs.become_subreaper()
    if os.environ.get("BENCH_IMPL") == "thespian":
        import thespian_compat

        thespian_compat.apply()  # logDefs=False crashes Thespian 4.0.1's multiproc bases
    # extra capabilities for a variant (bench/security.py: the TLS files)
    caps: dict[str, Any] = json.loads(os.environ.get("BENCH_CAPABILITIES", "{}"))
    if admin_port:
        caps["Admin Port"] = admin_port
    if workload == "hugemsg":  # 64 MiB is the default limit: the payload must fit with its frame
        caps.setdefault("Max Message Size", 4 * HUGE)
    cleanup: dict[str, Any] = {}
    asys = None
    try:
        asys = bench_actors.api.ActorSystem(base, capabilities=caps, logDefs=False)
        result = WORKLOADS[workload](asys, size_for(workload, base, quick), base)
    except Exception as exc:  # a failing workload is a result, not a crash
        result = {"error": f"{type(exc).__name__}: {exc}"}
        traceback.print_exc()
    _emit("BENCH_RESULT", result)
    try:
        if asys is not None:
            asys.shutdown()
    except Exception as exc:
        cleanup["shutdown_error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    # Anything still descending from us after shutdown (given a grace period
    # for processes that are on their way out) is a leftover: count, then kill.
    left = procs.wait_gone(lambda: procs.descendants(os.getpid()), 10.0)
    cleanup["leftover_processes"] = len(left)
    if left:
        cleanup["leftover_names"] = sorted({p.comm for p in left})
        procs.kill_pids(left)
    _emit("BENCH_CLEANUP", cleanup)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--admin-port", type=int, default=None)
    a = ap.parse_args(argv)
    run_one(a.base, a.workload, a.quick, a.admin_port)


if __name__ == "__main__":
    main()
