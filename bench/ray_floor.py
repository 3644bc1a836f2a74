"""The raw-Ray floor under rayBase: the same traffic with bare Ray actors, no actorcore.

Three figures, each from the program (a Ray driver) to one Ray actor, with
the local Ray started as rayBase starts it (loopback only, no usage stats,
bounded object store):

- ``ray-floor-call``: a method call waited for (``ray.get(a.echo.remote(x))``)
  with a small tuple, median and p99 µs: the floor of the ``ask`` workload;
- ``ray-floor-pipelined``: N calls sent before any is waited for, calls/s:
  the floor of a stream of messages (``pingpong``);
- ``ray-floor-pingpong``: two bare Ray actors bounce a counter N times, each
  calling the other's method without waiting for it, messages/s: the floor
  of the ``pingpong`` workload, whose every message waits for the one before
  (``ray-floor-pipelined`` has many calls in flight at once, which a bounce
  never has);
- ``ray-floor-1mib``: a 1 MiB ``bytes`` argument echoed back, MB/s with both
  directions counted: the floor of ``bigmsg``.

``python bench/ray_floor.py [--quick]`` prints one JSON line per figure, in
the shape of limits.py's lines; bench/run.py runs it when rayBase is among
the bases measured. Needs actorbase-ray (and so Ray) installed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

MSG = ("ping", 12345, "payload")  # the small message of limits.py
BIG = 1 << 20


def measure(quick: bool) -> list[dict[str, Any]]:
    import ray
    from actorbase_ray.start import start_local

    @ray.remote(num_cpus=0, max_restarts=0, max_task_retries=0)
    class Echo:
        def echo(self, x: Any) -> Any:
            return x

    @ray.remote(num_cpus=0, max_restarts=0, max_task_retries=0)
    class Bouncer:
        def __init__(self) -> None:
            self.peer: Any = None
            self.done: Any = None

        def meet(self, peer: Any, done: Any) -> None:
            self.peer, self.done = peer, done

        def bounce(self, n: int) -> None:
            # as the pingpong workload's actors: the next message leaves from
            # the handler of this one, and nobody waits for the call
            if n <= 0:
                self.done.finished.remote()
            else:
                self.peer.bounce.remote(n - 1)

    @ray.remote(num_cpus=0, max_restarts=0, max_task_retries=0, max_concurrency=2)
    class Done:
        def __init__(self) -> None:
            import threading

            self.event = threading.Event()

        def finished(self) -> None:
            self.event.set()

        def wait(self, limit: float) -> bool:
            return self.event.wait(limit)

    n_call, n_pipe, n_big = (200, 2_000, 10) if quick else (5_000, 50_000, 50)
    n_bounce = 500 if quick else 10_000
    start_local()
    try:
        a = Echo.remote()  # type: ignore[attr-defined]
        ray.get(a.echo.remote(MSG))  # started, and warm
        times = []
        for _ in range(n_call):
            t = time.perf_counter()
            ray.get(a.echo.remote(MSG))
            times.append(time.perf_counter() - t)
        times.sort()
        t = time.perf_counter()
        ray.get([a.echo.remote(MSG) for _ in range(n_pipe)])
        pipe_s = time.perf_counter() - t
        p1, p2, done = Bouncer.remote(), Bouncer.remote(), Done.remote()  # type: ignore[attr-defined]
        ray.get([p1.meet.remote(p2, done), p2.meet.remote(p1, done)])
        t = time.perf_counter()
        p1.bounce.remote(n_bounce)
        if not ray.get(done.wait.remote(300.0)):
            raise RuntimeError("the bare-Ray bounce did not finish")
        bounce_s = time.perf_counter() - t
        payload = os.urandom(BIG)
        if ray.get(a.echo.remote(payload)) != payload:
            raise RuntimeError("the 1 MiB echo differs from the payload")
        t = time.perf_counter()
        for _ in range(n_big):
            if len(ray.get(a.echo.remote(payload))) != BIG:
                raise RuntimeError("the 1 MiB echo came back short")
        big_s = time.perf_counter() - t
    finally:
        ray.shutdown()
    return [
        {
            "workload": "ray-floor-call",
            "metric": "bare Ray actor call waited for, median",
            "unit": "us",
            "value": statistics.median(times) * 1e6,
            "extra": {"n": n_call, "p99_us": times[int(0.99 * (len(times) - 1))] * 1e6},
        },
        {
            "workload": "ray-floor-pipelined",
            "metric": "bare Ray actor calls, all sent before any is waited for",
            "unit": "calls/s",
            "value": n_pipe / pipe_s,
            "extra": {"n": n_pipe},
        },
        {
            "workload": "ray-floor-pingpong",
            "metric": "two bare Ray actors bouncing a counter, each call made from the last",
            "unit": "msg/s",
            "value": n_bounce / bounce_s,
            "extra": {"n": n_bounce},
        },
        {
            "workload": "ray-floor-1mib",
            "metric": "1 MiB argument echoed by a bare Ray actor",
            "unit": "MB/s",
            "value": 2 * n_big * BIG / big_s / 1e6,
            "extra": {"n": n_big, "directions": 2},
        },
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description="the raw-Ray floor under rayBase")
    ap.add_argument("--quick", action="store_true")
    for line in measure(ap.parse_args().quick):
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
