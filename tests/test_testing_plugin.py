"""actorcore's pytest plugin (actorcore.testing) as a project using it sees it:
a run gets a configuration and state directory of its own, and leaves
nothing of them behind."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

INNER = textwrap.dedent(
    """
    import os

    def test_dirs_are_the_runs_own(tmp_path_factory):
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            path = os.environ[var]
            assert os.path.isdir(path), var
            with open(os.path.join(os.environ["SEEN_FILE"]), "a") as f:
                f.write(path + "\\n")
    """
)


def test_a_run_removes_its_own_config_and_state_dirs(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_inner.py").write_text(INNER)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    seen = tmp_path / "seen.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "XDG_STATE_HOME")}
    env.update(TMPDIR=str(scratch), SEEN_FILE=str(seen))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    made = seen.read_text().split()
    assert len(made) == 2 and all(Path(p).parent == scratch for p in made), made
    assert not any(Path(p).exists() for p in made), "the run left its directories behind"
    assert [p.name for p in scratch.iterdir() if p.name.startswith("actorcore-test-")] == []
