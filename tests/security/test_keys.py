"""Where the secret comes from, its rules, and the keys derived from it (actorcore._core.keys)."""
from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys

import pytest

from actorcore._core import keys
from actorcore._core.keys import Secret


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    monkeypatch.delenv(keys.SECRET_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "actorcore" / "secret"


def test_the_capability_comes_first(monkeypatch):
    monkeypatch.setenv(keys.SECRET_ENV, "from the environment, long")
    secret = keys.resolve({keys.SECRET_CAPABILITY: "from the capability, long"})
    assert secret.origin == "capability" and secret.explicit
    assert secret == Secret(b"from the capability, long", "x")


def test_then_the_environment(monkeypatch):
    monkeypatch.setenv(keys.SECRET_ENV, "from the environment, long")
    secret = keys.resolve({})
    assert secret.origin == "environment" and secret.explicit
    assert secret == Secret(b"from the environment, long", "x")


def test_then_a_per_user_file_made_on_first_use_with_mode_0600(no_env):
    first = keys.resolve({})
    assert first.origin == "user file" and not first.explicit
    assert stat.S_IMODE(no_env.stat().st_mode) == 0o600
    assert stat.S_IMODE(no_env.parent.stat().st_mode) == 0o700
    assert keys.resolve({}) == first  # the same file next time


def test_a_secret_file_others_may_read_is_refused(no_env):
    keys.resolve({})
    no_env.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        keys.resolve({})


def test_a_short_secret_is_a_value_error_naming_the_rule(monkeypatch):
    with pytest.raises(ValueError, match="at least 16 bytes"):
        keys.resolve({keys.SECRET_CAPABILITY: "short"})
    monkeypatch.setenv(keys.SECRET_ENV, "short")
    with pytest.raises(ValueError, match="at least 16 bytes"):
        keys.resolve({})


def test_a_secret_of_another_type_is_a_value_error():
    with pytest.raises(ValueError, match="str or bytes"):
        keys.resolve({keys.SECRET_CAPABILITY: 1234567890123456789})


def test_the_secret_never_shows_and_keys_differ_by_purpose():
    secret = Secret(b"s" * 20, "capability")
    assert "sss" not in repr(secret) and "sss" not in str(secret)
    assert secret.key("handshake") != secret.key("udp datagrams")
    assert secret.key("handshake") != b"s" * 20
    assert len(secret.key("handshake")) == 32
    assert pickle.loads(pickle.dumps(secret)) == secret


def test_scrubbing_removes_the_secret_from_environ_and_from_proc(tmp_path):
    """What /proc/PID/environ shows of a process (and of its forked children)
    no longer holds the secret once the process scrubbed it."""
    code = (
        "import os, sys\n"
        "from actorcore._core import keys\n"
        "keys.scrub_environment()\n"
        "assert 'ACTORCORE_SECRET' not in os.environ\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    sys.stdout.write(open('/proc/self/environ','rb').read().hex()); sys.stdout.flush(); os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
    )
    value = "a-secret-that-must-not-show-0123"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         env={**os.environ, keys.SECRET_ENV: value})
    assert out.returncode == 0, out.stderr
    environ = bytes.fromhex(out.stdout)
    assert value.encode() not in environ
    assert b"PATH=" in environ  # the rest of the environment is intact
