"""docs/sources.md: the demo runs as printed and prints what the page says."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from actorcore._core import plugins
from actorcore.testing import descendants, wait_no_descendants

DOC = Path(__file__).resolve().parent.parent / "docs" / "sources.md"


def _block(text: str, name: str) -> str:
    found = re.search(rf"<!-- {name}:start -->\n```\w*\n(.*?)```\n<!-- {name}:end -->", text, re.S)
    assert found, f"docs/sources.md lost its {name} block"
    return found.group(1)


def test_sources_demo_runs_as_documented(tmp_path):
    pytest.importorskip("sourceauth_zip", reason="sourceauth-zip is not installed")
    text = DOC.read_text()
    demo = _block(text, "demo")
    base = re.search(r'ActorSystem\("(\w+)"', demo)
    assert base, "the demo names no base"
    if plugins.registry().get(base.group(1)) is None:
        pytest.skip(f"the demo runs on {base.group(1)}, which is not installed")
    before = descendants()
    done = subprocess.run(
        [sys.executable, "-c", demo],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == _block(text, "output")
    assert not wait_no_descendants(before)
