"""Make ``tests.*`` importable everywhere, including in actor processes.

Multiprocess bases import actor classes by module name in child processes,
so the repository root must be on ``sys.path`` here and on ``PYTHONPATH``
for children started with ``spawn``.
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
_pp = os.environ.get("PYTHONPATH", "")
if ROOT not in _pp.split(os.pathsep):
    os.environ["PYTHONPATH"] = ROOT + (os.pathsep + _pp if _pp else "")
