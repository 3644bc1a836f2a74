"""These tests use the behaviour suite's actors and helpers (``tests.*``):
importing that package puts the repository root on the path, here and in
every process the tests start."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import tests  # noqa: E402,F401
