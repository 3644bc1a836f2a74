"""Every test under tests/, a test base's own folder among them, sees the
``tests`` package: importing it puts the repository root on the path, here
and in every process the tests start (tests/__init__.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tests  # noqa: E402,F401
