"""Run inside a network namespace by the namespace tests: start a TCP system,
or attach to one and run a snippet against it, printing a JSON answer.

    python netns_driver.py start  '<capabilities json>'
    python netns_driver.py run    '<capabilities json>' '<python snippet>'

A snippet sees ``asys`` (the attached ActorSystem), ``addr`` (address details
-> ActorAddress), ``actors`` (tests.actors.conventions), ``basic`` (tests.actors.basic) and ``result`` (set it to answer).
With ``NETNS_LOG_FILE`` set, a system started here logs to that file.
"""
from __future__ import annotations

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)  # the behaviour suite's package, for its convention actors

from actorcore.actors import ActorAddress, ActorSystem, Thespian_StatusReq  # noqa: E402
from actorcore.testing import log_to_file  # noqa: E402
from tests.actors import basic, conventions  # noqa: E402


def _caps(text: str) -> dict:
    caps = json.loads(text)
    if isinstance(caps.get("Convention Address.IPv4"), list):
        caps["Convention Address.IPv4"] = tuple(caps["Convention Address.IPv4"])
    return caps


def main(argv: list[str]) -> int:
    op, caps = argv[0], _caps(argv[1])
    log = os.environ.get("NETNS_LOG_FILE")
    log_defs = log_to_file(log) if log else False
    try:
        asys = ActorSystem("multiprocTCPBase", caps, logDefs=log_defs, transientUnique=True)
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 0
    if op == "start":
        status = asys.ask(asys.systemAddress, Thespian_StatusReq(), 10)
        print(json.dumps({"sysid": asys.systemAddress.addressDetails, "pid": status.miscKeyVals["pid"]}))
        return 0
    scope = {"asys": asys, "addr": ActorAddress, "actors": conventions, "basic": basic, "result": None}
    exec(argv[2], scope)
    print(json.dumps(scope["result"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
