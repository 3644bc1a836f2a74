"""The internal diagnostic log (docs/api.md §6.4, §7.4): lines, threshold, bad settings."""
from __future__ import annotations

import logging

from actorcore._core import thesplog


def test_lines_reach_the_file_and_respect_the_threshold(tmp_path, monkeypatch):
    path = tmp_path / "internal.log"
    monkeypatch.setenv("THESPLOG_FILE", str(path))
    monkeypatch.setenv("THESPLOG_THRESHOLD", "ERROR")
    thesplog.write(logging.WARNING, "below")
    thesplog.write(logging.ERROR, "above\nand on one line")
    text = path.read_text()
    assert "below" not in text
    assert "ERROR above and on one line" in text


def test_an_invalid_threshold_falls_back_to_warning_and_says_so_once(tmp_path, monkeypatch):
    path = tmp_path / "internal.log"
    monkeypatch.setenv("THESPLOG_FILE", str(path))
    monkeypatch.setenv("THESPLOG_THRESHOLD", "LOUDLY")
    thesplog.write(logging.INFO, "info is below warning")
    thesplog.write(logging.WARNING, "a warning")
    thesplog.write(logging.WARNING, "another")
    lines = path.read_text().splitlines()
    assert sum("invalid THESPLOG_THRESHOLD='LOUDLY'" in line for line in lines) == 1
    assert not any("info is below warning" in line for line in lines)
    assert any(line.endswith("a warning") for line in lines)
