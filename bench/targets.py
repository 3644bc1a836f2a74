"""The figures of BENCH.md, keyed by (workload, base, result key).

``TARGETS`` are actorcore's targets (a number, compared in the metric's
"better" direction, or ``"works"``: any successful measurement meets it).
``REFERENCE`` is what Thespian 4.0.1 did on the machine BENCH.md was
measured on; it is context only -- judge by the ratio measured in the same
run, never against these absolute numbers.
"""

from __future__ import annotations

Target = float | str  # a number, or "works" / a failure note
S, Q, U, T = "simpleSystemBase", "multiprocQueueBase", "multiprocUDPBase", "multiprocTCPBase"

TARGETS: dict[tuple[str, str, str], Target] = {
    ("ask", S, "median_us"): 3,
    ("pingpong", S, "msgs_per_s"): 1_000_000,
    ("fanout", S, "msgs_per_s"): 900_000,
    ("ask", Q, "median_us"): 100,
    ("pingpong", Q, "msgs_per_s"): 20_000,
    ("ask", U, "median_us"): 70,
    ("pingpong", U, "msgs_per_s"): 30_000,
    ("fanout", U, "msgs_per_s"): 20_000,  # "works, >= 20,000 msg/s"
    ("bigmsg", U, "MBps"): "works",
    ("ask", T, "median_us"): 80,
    ("pingpong", T, "msgs_per_s"): 30_000,
    ("fanout", T, "msgs_per_s"): 20_000,
    ("bigmsg", T, "MBps"): 500,
    ("spawn", T, "create_ms_per_actor"): 3,
    ("spawn", T, "exit_ms_per_actor"): 1,
}

REFERENCE: dict[tuple[str, str, str], Target] = {
    ("ask", S, "median_us"): 7.9,
    ("pingpong", S, "msgs_per_s"): 395_000,
    ("fanout", S, "msgs_per_s"): 349_000,
    ("ask", Q, "median_us"): 343,
    ("pingpong", Q, "msgs_per_s"): 6_000,
    ("ask", U, "median_us"): 93,
    ("pingpong", U, "msgs_per_s"): 18_500,
    ("fanout", U, "msgs_per_s"): "fails (k=100)",
    ("bigmsg", U, "MBps"): "fails (message too long)",
    ("ask", T, "median_us"): 339,
    ("pingpong", T, "msgs_per_s"): 4_450,
    ("fanout", T, "msgs_per_s"): 3_250,
    ("bigmsg", T, "MBps"): 76,
    ("spawn", T, "create_ms_per_actor"): 6.0,
    ("spawn", T, "exit_ms_per_actor"): 2.9,
}
