"""One admin transport as a program of its own, for the cross-namespace peer
test: ``serve HOST`` echoes envelopes back to the sending system until told
"stop"; ``call HOST WHERE N`` connects, sends N envelopes (every tenth one
100 kB, so fragmented on a 1500-byte link) and prints one JSON line."""
from __future__ import annotations

import json
import sys
import time

from actorbase_udp.transport import AdminUdpTransport
from actorbase_udp.wire import bind
from actorcore._core import keys
from actorcore._core.transport import system_of

LIMIT = 120.0
KEY = keys.resolve({}).key("handshake")  # ACTORCORE_SECRET, as the test that runs us has it


def serve(host: str) -> None:
    t = AdminUdpTransport(bind(host, 0), "Useeeeeee", "s", 64 * 1024 * 1024, KEY)
    print(t.listen_address, flush=True)
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:
        envs, _ = t.receive(0.2)
        for target, sender, data in envs:
            if target == "":
                continue
            if data == b"stop":
                t.close()
                return
            t.peer_send(system_of(sender), (sender, target, data))
    t.close()


def call(host: str, where: str, n: int) -> None:
    t = AdminUdpTransport(bind(host, 0), "Ucccccccc", "c", 64 * 1024 * 1024, KEY)
    t.peer_connect(where)
    deadline = time.monotonic() + LIMIT
    up = None
    while up is None and time.monotonic() < deadline:
        for env in t.receive(0.2)[0]:
            if env[0] == "" and env[1] in ("peer-up", "peer-failed"):
                up = env
    sent = [(b"%d:" % i) + (b"b" * 100_000 if i % 10 == 0 else b"") for i in range(n)]
    got: list[bytes] = []
    if up is not None and up[1] == "peer-up":
        sysid = up[2].decode().split("\n")[0]
        for data in sent:
            t.peer_send(sysid, (f"{sysid}/1", "Ucccccccc/1", data))
        while len(got) < n and time.monotonic() < deadline:
            got.extend(e[2] for e in t.receive(0.2)[0] if e[0])
        t.peer_send(sysid, (f"{sysid}/1", "Ucccccccc/1", b"stop"))
    stats = t.stats
    t.close()
    print(json.dumps({"up": up is not None and up[1] == "peer-up", "sent": n,
                      "echoed": len(got), "in_order": got == sent, "stats": stats}))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        call(sys.argv[2], sys.argv[3], int(sys.argv[4]))
