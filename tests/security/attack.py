"""What the hostile-peer tests share: running a stdlib-only attacker, a system
guarded by a known secret whose log the test reads, a squatter on the Admin
Port, and the checks every refused case makes (logged, still serving)."""
from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from actorcore.testing import log_to_file, running_system, until

from ..actors.basic import Echo

HERE = Path(__file__).resolve().parent
WAIT = 10
SECRET = "correct horse battery staple, 2026"


def _hostile(script: str) -> list[str]:
    # -I -S: no site-packages and not this folder, so it cannot import actorcore
    return [sys.executable, "-I", "-S", str(HERE / script)]


def run_hostile(script: str, **cmd: Any) -> dict:
    """Run ``tests/security/<script>`` with ``cmd`` as JSON on stdin; its last
    line of output, decoded."""
    out = subprocess.run(_hostile(script), input=json.dumps(cmd), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def squatting(script: str, port: int, marker: Path) -> Iterator[None]:
    """``script`` holds ``port`` as an admin would and feeds whoever comes
    pickles that create ``marker`` when unpickled; it is stopped afterwards."""
    squatter = subprocess.Popen(_hostile(script), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
    try:
        assert squatter.stdin is not None and squatter.stdout is not None
        squatter.stdin.write(json.dumps({"mode": "squatter", "port": port, "marker": str(marker),
                                         "wait": 20}))
        squatter.stdin.close()
        assert json.loads(squatter.stdout.readline())["listening"]
        yield
    finally:
        squatter.kill()
        squatter.wait(10)


@contextmanager
def guarded_system(base: str, port: int, logfile: Path, secret: str = SECRET) -> Iterator[Any]:
    """A system of ``base`` on ``port`` with ``secret``, logging to ``logfile``
    (both kept on it as ``port`` and ``logfile``); afterwards nothing of it is
    left, and the secret was never logged."""
    caps = {"Admin Port": port, "Convention Secret": secret}
    with running_system(base, caps, logDefs=log_to_file(logfile)) as system:
        system.port, system.logfile = port, logfile
        yield system
    assert secret not in logfile.read_text()


def logged(logfile: Path, text: str) -> bool:
    return bool(until(lambda: logfile.exists() and text in logfile.read_text(), WAIT))


def serving(system: Any) -> bool:
    """A new actor answers: the system survived."""
    return system.ask(system.createActor(Echo), "still serving", WAIT) == "still serving"
