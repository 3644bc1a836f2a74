"""actorcore.testing's count of the processes a test left behind: a process
that has ended, as far as anything can hold it, is not one of them."""
from __future__ import annotations

import os
import subprocess
import sys

from actorcore import testing


def _stat(state: str, ppid: int, flags: int) -> bytes:
    # pid (comm) state ppid pgrp session tty_nr tpgid flags ...; comm may hold ") "
    return f"4242 (odd) name) {state} {ppid} 1 1 0 -1 {flags} 0 0 0 0".encode()


def test_a_running_process_counts_with_its_parent():
    assert testing._parent_if_running(_stat("S", 77, 0x400040)) == 77


def test_a_zombie_does_not_count():
    assert testing._parent_if_running(_stat("Z", 77, 0x400040)) is None


def test_a_process_inside_exit_does_not_count():
    """PF_EXITING (0x4): its memory may be gone already (an empty command line)."""
    assert testing._parent_if_running(_stat("R", 77, 0x400044)) is None


def test_a_child_is_found_while_it_runs_and_not_once_it_has_ended():
    before = testing.descendants()
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        assert child.pid in testing.descendants() - before
        with open(f"/proc/{child.pid}/stat", "rb") as fh:
            assert testing._parent_if_running(fh.read()) == os.getpid()
    finally:
        child.communicate(b"", timeout=30)
    assert testing.wait_no_descendants(before, 10) == set()
