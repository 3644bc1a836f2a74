"""Cross-plugin behaviour suite: every test runs on every installed system base.

Importing this package makes ``tests.*`` importable everywhere, including in
actor processes: multiprocess bases import actor classes (``tests.actors``)
by module name in child processes, so the repository root goes on
``sys.path`` here and on ``PYTHONPATH`` for children started with ``spawn``
and for the programs the tests run. A plugin's own tests folder imports this
package from its conftest to use the same actors and helpers.
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
