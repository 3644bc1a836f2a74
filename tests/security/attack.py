"""What the plugins' hostile-peer tests share: running a stdlib-only attacker,
a system guarded by a known secret whose log the test reads, and the checks
every refused case makes (logged, still serving)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from actorcore.actors import ActorSystem
from actorcore.testing import descendants, log_to_file, until, wait_no_descendants

HERE = Path(__file__).resolve().parent
WAIT = 10


def run_hostile(script: str, **cmd: Any) -> dict:
    """Run ``tests/security/<script>`` with ``-I -S`` (so it cannot import
    actorcore), ``cmd`` as JSON on stdin; its last line of output, decoded."""
    out = subprocess.run([sys.executable, "-I", "-S", str(HERE / script)], input=json.dumps(cmd),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def guarded_system(base: str, port: int, secret: str, logfile: Path) -> Iterator[Any]:
    """A system of ``base`` on ``port`` with ``secret``, logging to ``logfile``;
    afterwards nothing of it is left, and the secret was never logged."""
    before = descendants()
    system = ActorSystem(base, {"Admin Port": port, "Convention Secret": secret},
                         logDefs=log_to_file(logfile), transientUnique=True)
    system.port = port
    try:
        yield system
    finally:
        system.shutdown()
    assert not wait_no_descendants(before)
    assert secret not in logfile.read_text()


def logged(logfile: Path, text: str) -> bool:
    return bool(until(lambda: logfile.exists() and text in logfile.read_text(), WAIT))


def serving(system: Any, echo: type) -> bool:
    """A new actor of class ``echo`` answers: the system survived."""
    return system.ask(system.createActor(echo), "still serving", WAIT) == "still serving"


def on_pythonpath(folder: str) -> str:
    """PYTHONPATH with ``folder`` in front (for actor classes the tests define)."""
    return os.pathsep.join(p for p in (folder, os.environ.get("PYTHONPATH")) if p)
