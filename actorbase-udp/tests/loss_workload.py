"""A workload for the loss tests, run as its own program (possibly inside a
network namespace): asks through a chain of actors and one big message,
then shuts down and prints one JSON line: what was answered, and what the
UDP sockets reported about loss in the internal log."""
from __future__ import annotations

import json
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from actorcore.actors import ActorSystem, Thespian_StatusReq  # noqa: E402
from actorcore.testing import descendants, wait_no_descendants  # noqa: E402
from tests.actors.basic import Echo  # noqa: E402
from tests.actors.flow import Chain  # noqa: E402


def main() -> None:
    host = os.environ.get("THESPIAN_BASE_IPADDR", "127.0.0.1")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        port = s.getsockname()[1]
    before = descendants()
    asys = ActorSystem("multiprocUDPBase", {"Admin Port": port}, logDefs=False, transientUnique=True)
    answered = in_order = big_ok = 0
    admin_counts: dict = {}
    try:
        chain = [asys.createActor(Chain) for _ in range(3)]
        replies = []
        for i in range(count):
            replies.append(asys.ask(chain[0], ("chain", chain[1:], i, None), 30))
        answered = sum(r is not None for r in replies)
        in_order = int(replies == list(range(count)))
        big = os.urandom(200_000)
        big_ok = int(asys.ask(asys.createActor(Echo), big, 60) == big)
        status = asys.ask(asys.systemAddress, Thespian_StatusReq(), 30)
        admin_counts = status.miscKeyVals.get("transport", {}) if status is not None else {}
    finally:
        asys.shutdown()
    left = wait_no_descendants(before)
    reports = []
    path = os.environ.get("THESPLOG_FILE", "")
    if path and os.path.exists(path):
        with open(path) as fh:
            reports = [ln.strip() for ln in fh if "retransmitted=" in ln]
    totals: dict[str, int] = {}
    for line in reports:
        if " at close: " in line:  # one per socket, cumulative: the sum is the whole system's
            for key, value in re.findall(r"(\w+)=(\d+)", line.split(" at close: ", 1)[1]):
                totals[key] = totals.get(key, 0) + int(value)
    print(json.dumps({"asked": count, "answered": answered, "in_order": in_order,
                      "big_ok": big_ok, "left": sorted(left), "totals": totals,
                      "admin_status": admin_counts}))


if __name__ == "__main__":
    main()
