"""The ``actorcore`` command line, run as a user runs it: in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from actorcore import cli
from actorcore import testing as actorcore_testing  # not imported by name: pytest would collect it
from actorcore._core.registry import SystemBaseInfo
from actorcore.testing import installed_bases


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "actorcore", *args],
        cwd=cwd,  # away from the repository root, as a user would be
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_bases_lists_every_installed_base(tmp_path: Path) -> None:
    proc = run_cli("bases", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    header, *rows = proc.stdout.splitlines()
    assert header.split() == ["NAME", "DISTRIBUTION", "VERSION", "SUMMARY"]
    listed = {row.split()[0] for row in rows if row.strip()}
    assert set(installed_bases()) <= listed


def test_bases_without_any_plugin_fails_with_advice(tmp_path: Path) -> None:
    proc = run_cli("bases", cwd=tmp_path, ACTORCORE_LOAD_PLUGINS="")
    assert proc.returncode == 1
    assert "no system base is installed" in proc.stderr
    assert "actorbase-simple" in proc.stderr


def _port(info: SystemBaseInfo) -> list[str]:
    """``--port`` with a free Admin Port where the base has one: it keeps the
    demo off a system some other test left running."""
    caps = actorcore_testing.capabilities_for(info)
    return ["--port", str(caps["Admin Port"])] if "Admin Port" in caps else []


def test_demo_runs_on_each_base(asys_base: str, asys_info: SystemBaseInfo, tmp_path: Path) -> None:
    proc = run_cli("demo", "--base", asys_base, *_port(asys_info), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert f"on {asys_base}" in out
    assert "wakeupAfter" in out
    assert out.count("exited (ChildActorExited)") == 3
    assert "check: the merged count matches" in out
    assert out.rstrip().endswith("actorcore demo: done")


def test_demo_counts_a_given_file(asys_base: str, asys_info: SystemBaseInfo, tmp_path: Path) -> None:
    text = tmp_path / "words.txt"
    text.write_text("one two two\nthree three three\n", encoding="utf-8")
    proc = run_cli("demo", "--base", asys_base, *_port(asys_info), "--workers", "2", str(text),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "result: 6 words, 3 distinct; most common: three (3), two (2), one (1)" in proc.stdout


def test_demo_names_the_missing_distribution(tmp_path: Path) -> None:
    proc = run_cli("demo", cwd=tmp_path, ACTORCORE_LOAD_PLUGINS="")
    assert proc.returncode == 1
    assert "Install actorbase-simple" in proc.stderr


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bogus"]) == 2
    assert "usage: actorcore" in capsys.readouterr().err


def test_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage: actorcore" in capsys.readouterr().err


def test_bad_worker_count_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--workers", "0"]) == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_unreadable_file_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", str(tmp_path / "missing.txt")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("actorcore ")
