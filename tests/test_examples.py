"""The runnable programs under examples/ do what their docstrings say."""
from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from actorcore.testing import capabilities_for, descendants, wait_no_descendants

from .helpers import WAIT

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _first_line(proc: subprocess.Popen, limit: float) -> str:
    """The program's first line of output, waiting at most ``limit`` seconds."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + limit
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(left):
            raise AssertionError(f"no line from {proc.args} within {limit} s")
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            raise AssertionError(f"{proc.args} ended: {proc.wait(WAIT)}, {proc.stderr.read()!r}")
        line += chunk
    return line.decode().strip()


def test_the_web_example_answers_200_concurrent_requests(asys_base, asys_info):
    before = descendants()
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "web_quotes.py"), "--port", "0", "--base", asys_base,
         "--capabilities", json.dumps(capabilities_for(asys_info))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        line = _first_line(proc, WAIT * 3)
        assert line.startswith("serving on http://127.0.0.1:")
        url = line.split()[-1]
        items = ["tea", "coffee", "cocoa", "gravel"]

        async def drive():
            async with httpx.AsyncClient(base_url=url, timeout=WAIT * 3) as client:
                return await asyncio.gather(*(
                    client.get("/quote", params={"item": items[i % 4], "qty": i}) for i in range(200)
                ))

        answers = asyncio.run(drive())
        prices = {"tea": 3.5, "coffee": 4.25, "cocoa": 2.75}
        for i, r in enumerate(answers):
            item = items[i % 4]
            if item == "gravel":
                assert (r.status_code, r.json()) == (404, {"error": "no such item: gravel"})
                continue
            rate = 0.2 if i >= 100 else 0.1 if i >= 10 else 0.0
            assert r.status_code == 200
            assert r.json() == {"item": item, "qty": i, "unit": prices[item], "discount": rate,
                                "total": round(prices[item] * i * (1 - rate), 2)}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(WAIT * 3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.stderr.close()
    assert proc.returncode == 0, err
    left = wait_no_descendants(before, WAIT)
    assert not left, f"processes left by the example: {sorted(left)}"
