"""What asyncio actors cost and win (issue 13), in one run:

- ``inactor``: request/reply round trips per second inside an actor, written
  with ``await self.ask`` against the same exchange written as Thespian-style
  callbacks (target: within 20% on the multiprocess bases);
- ``outside``: 1,000 concurrent ``ask_async`` calls from one event loop
  against 1,000 ``ask`` calls from 50 threads (each with its own
  ``private()`` context), to 10 answering actors; and, as a floor, 1,000
  coroutines that do nothing, gathered the same way (the three alternate,
  five times each, and their medians are reported);
- ``web``: requests per second of examples/web_quotes.py, 2,000 requests,
  50 at a time, from one httpx.AsyncClient.

    python bench/run.py --asyncio [--bases B,...] [--reps 3] [--quick]

Each (base, workload, repetition) runs in a fresh process; the medians are
printed and written to bench/results/asyncio.jsonl. Benchmarks, not tests:
nothing fails on a figure.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MULTIPROCESS = ["multiprocQueueBase", "multiprocTCPBase", "multiprocUDPBase"]
INACTOR_ROUNDS = 4  # alternating measurements of each style per repetition
OUTSIDE_ROUNDS = 5  # the same for ask_async, threads and the gather floor
SIZES = {"inactor": (5000, 500), "outside": (1000, 200), "web": (2000, 200)}  # (full, quick)


def _caps(base: str) -> dict[str, Any]:
    import bench_procs

    return {"Admin Port": bench_procs.free_port()} if base in ("multiprocTCPBase", "multiprocUDPBase") else {}


def one_inactor(base: str, n: int) -> dict[str, Any]:
    from async_actors import Answer, AwaitAsker, CallbackAsker

    from actorcore.actors import ActorSystem

    asys = ActorSystem(base, _caps(base), transientUnique=True)
    try:
        pairs = {}
        for name, cls in (("await", AwaitAsker), ("callback", CallbackAsker)):
            asker, target = asys.createActor(cls), asys.createActor(Answer)
            asys.ask(asker, ("go", target, 50), 60)  # warm up
            pairs[name] = (asker, target)
        # the two alternate, INACTOR_ROUNDS times each: a slow spell of the
        # machine then falls on both, not on whichever ran during it
        seconds: dict[str, list[float]] = {"await": [], "callback": []}
        for _ in range(INACTOR_ROUNDS):
            for name, (asker, target) in pairs.items():
                seconds[name].append(asys.ask(asker, ("go", target, n), 300))
        out = {f"{name}_rtps": n / statistics.median(s) for name, s in seconds.items()}
        out["await_vs_callback"] = out["await_rtps"] / out["callback_rtps"]
        return out
    finally:
        asys.shutdown()


def one_outside(base: str, n: int) -> dict[str, Any]:
    from async_actors import Answer

    from actorcore.actors import ActorSystem

    asys = ActorSystem(base, _caps(base), transientUnique=True)
    try:
        targets = [asys.createActor(Answer) for _ in range(10)]
        for t in targets:
            asys.ask(t, 0, 60)

        async def many() -> float:
            started = time.perf_counter()
            got = await asyncio.gather(*(asys.ask_async(targets[i % 10], i, 60) for i in range(n)))
            took = time.perf_counter() - started
            if got != list(range(n)):
                raise RuntimeError("ask_async: wrong replies")
            return took

        async def warm() -> None:  # the loop, the watcher thread, the imports: not part of the figure
            await asyncio.gather(*(asys.ask_async(targets[i % 10], i, 60) for i in range(50)))

        async def floor() -> float:  # asyncio's own cost: as many tasks gathered, doing nothing
            async def nothing(i: int) -> int:
                return i

            started = time.perf_counter()
            await asyncio.gather(*(nothing(i) for i in range(n)))
            return time.perf_counter() - started

        threads, per = 50, n // 50
        errors: list[str] = []

        def worker(k: int) -> None:
            with asys.private() as ctx:
                for j in range(per):
                    i = k * per + j
                    if ctx.ask(targets[i % 10], i, 60) != i:
                        errors.append("wrong reply")

        def with_threads() -> float:
            started = time.perf_counter()
            pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            return time.perf_counter() - started

        asyncio.run(warm())
        # the three alternate, OUTSIDE_ROUNDS times each: a slow spell of the
        # machine then falls on all of them, not on whichever ran during it
        seconds: dict[str, list[float]] = {"ask_async": [], "threads": [], "floor": []}
        for _ in range(OUTSIDE_ROUNDS):
            seconds["ask_async"].append(asyncio.run(many()))
            seconds["threads"].append(with_threads())
            seconds["floor"].append(asyncio.run(floor()))
        async_s, threads_s, floor_s = (statistics.median(seconds[k]) for k in ("ask_async", "threads", "floor"))
        if errors:
            raise RuntimeError(errors[0])
        return {"ask_async_s": async_s, "threads_s": threads_s, "ask_async_speedup": threads_s / async_s,
                "gather_floor_s": floor_s}
    finally:
        asys.shutdown()


def one_web(base: str, n: int) -> dict[str, Any]:
    import httpx

    proc = subprocess.Popen(
        [sys.executable, str(REPO / "examples" / "web_quotes.py"), "--port", "0", "--base", base,
         "--capabilities", json.dumps(_caps(base))],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("serving on "):
            raise RuntimeError(f"the example did not start: {line!r}")
        url = line.split()[-1]

        async def drive() -> float:
            limit = asyncio.Semaphore(50)
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                async def one(i: int) -> None:
                    async with limit:
                        r = await client.get("/quote", params={"item": "tea", "qty": i % 200})
                        if r.status_code != 200:
                            raise RuntimeError(f"HTTP {r.status_code}")

                await asyncio.gather(*(one(i) for i in range(50)))  # warm up
                started = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(n)))
                return time.perf_counter() - started

        return {"requests_per_s": n / asyncio.run(drive())}
    finally:
        proc.terminate()
        proc.wait(60)


ONE = {"inactor": one_inactor, "outside": one_outside, "web": one_web}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bases", default=",".join(["simpleSystemBase", *MULTIPROCESS]))
    ap.add_argument("--workloads", default="inactor,outside,web")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", nargs=3, metavar=("BASE", "WORKLOAD", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--output", default=str(HERE / "results" / "asyncio.jsonl"))
    args = ap.parse_args(argv)
    if args.one:
        base, workload, n = args.one
        print("RESULT " + json.dumps(ONE[workload](base, int(n))), flush=True)
        return 0
    lines = []
    for workload in args.workloads.split(","):
        n = SIZES[workload][1 if args.quick else 0]
        for base in args.bases.split(","):
            reps = []
            for _ in range(1 if args.quick else args.reps):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", base, workload, str(n)],
                    capture_output=True, text=True, timeout=900,
                    env={**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])},
                )
                found = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
                if not found:
                    print(f"{workload} on {base} failed:\n{out.stderr[-2000:]}", file=sys.stderr)
                    continue
                reps.append(json.loads(found[0][7:]))
            if not reps:
                continue
            line = {"workload": workload, "base": base, "n": n, "reps": len(reps),
                    **{k: statistics.median(r[k] for r in reps) for k in reps[0]}}
            lines.append(line)
            print(json.dumps(line), flush=True)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as fh:
        for line in lines:
            fh.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
