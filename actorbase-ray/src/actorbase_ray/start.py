"""Starting a local Ray, or joining a running cluster, for the systems of this process.

A process has one Ray connection (``ray.init`` once), shared by every rayBase
system in it. Whoever made the connection decides when it ends: a Ray this
module started (or joined) ends when the last system using it shuts down; a
Ray the program initialised itself is left alone.

A local start keeps everything on this machine: the node is pinned to
127.0.0.1 (and checked to be), usage stats are off (in the environment of ``ray.init`` and so of
every process Ray starts), there is no dashboard, no ``runtime_env`` and a
bounded object store.
"""
from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Any

#: bytes of shared memory a local Ray may use for objects
OBJECT_STORE_BYTES = 100 * 1024 * 1024
#: seconds a `Ray Address` gets to answer before the start fails
CONNECT_LIMIT = 10.0

#: actorcore's secret (docs/security.md), kept out of Ray's processes
SECRET_ENV = "ACTORCORE_SECRET"

#: a local Ray keeps no idle worker processes: each actor has a process of its
#: own anyway, and a spare one started ahead would outlive the system that
#: caused it (shutdown must leave no process it started)
LOCAL_CONFIG = {
    "enable_worker_prestart": False,
    "prestart_worker_first_driver": False,
    "num_workers_soft_limit": 0,
    "idle_worker_killing_time_threshold_ms": 200,
    "kill_idle_workers_interval_ms": 100,
}

#: environment for the processes a local Ray starts, unless the user set it:
#: the autoscaler's metrics server (started with the head even on one machine)
#: takes a free port rather than Ray's fixed 44217, so two local Rays on one
#: machine (two test runs side by side) never contend for it
LOCAL_ENV = {"AUTOSCALER_METRIC_PORT": "0"}

_lock = threading.Lock()
_users = 0  # systems of this process on the Ray connection this module made
_ours = False  # whether this module made the connection (so ends it)


def _quiet_environment() -> None:
    # Set before ray.init: the processes Ray starts inherit it.
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")


def start_local() -> Any:
    """``ray.init`` for a local Ray that reaches nothing beyond this machine."""
    import ray

    _quiet_environment()
    # Ray's processes take this environment: actorcore's secret stays out of it
    # (rayBase does not use it; Ray authenticates its peers with its own token).
    secret = os.environ.pop(SECRET_ENV, None)
    loopback = _LoopbackOnly()
    sigterm = _ProgramSigterm()
    env = _Environment(LOCAL_ENV)
    try:
        info = ray.init(
            # a Ray of its own: without an address, ray.init joins RAY_ADDRESS or the Ray
            # started last on this machine (/tmp/ray), another program's or another user's
            address="local",
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            object_store_memory=OBJECT_STORE_BYTES,
            log_to_driver=False,
            configure_logging=False,
            _system_config=LOCAL_CONFIG,
        )
    finally:
        env.restore()
        sigterm.restore()
        loopback.restore()
        if secret is not None:
            os.environ[SECRET_ENV] = secret
    away = [n.get("NodeManagerAddress") for n in ray.nodes()
            if n.get("NodeManagerAddress") != "127.0.0.1"]
    if away:
        ray.shutdown()
        raise ConnectionError(f"a local Ray would not stay on 127.0.0.1 (node at {away})")
    return info


class _LoopbackOnly:
    """While a local Ray starts, it takes 127.0.0.1 as this node's address.

    ``ray.init(_node_ip_address="127.0.0.1")`` alone is not enough: Ray swaps
    a loopback address for the host's routable one, unless its "single
    machine" switch (an environment variable Ray reads when imported, or the
    constant it set from it) says otherwise. Both are set for the start and
    put back after, so a later join of a real cluster is unaffected; the
    start is checked afterwards either way."""

    ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"

    def __init__(self) -> None:
        self._env = os.environ.get(self.ENV)
        os.environ[self.ENV] = "0"
        self._constants: Any = None
        self._was: Any = None
        try:
            from ray._private import ray_constants

            self._constants = ray_constants
            self._was = ray_constants.ENABLE_RAY_CLUSTER
            ray_constants.ENABLE_RAY_CLUSTER = False
        except (ImportError, AttributeError):  # another Ray: the check after the start decides
            self._constants = None

    def restore(self) -> None:
        if self._env is None:
            os.environ.pop(self.ENV, None)
        else:
            os.environ[self.ENV] = self._env
        if self._constants is not None:
            self._constants.ENABLE_RAY_CLUSTER = self._was


class _Environment:
    """Variables set for the processes a start makes, unless already set, and
    taken back after it (they are read as each process starts)."""

    def __init__(self, values: dict[str, str]) -> None:
        self._set = [k for k in values if k not in os.environ]
        for k in self._set:
            os.environ[k] = values[k]

    def restore(self) -> None:
        for k in self._set:
            os.environ.pop(k, None)


class _ProgramSigterm:
    """``ray.init`` in the main thread replaces the program's SIGTERM handler
    with one that exits with status 15. A program that chose its own (a
    handler, or to ignore the signal) before its ActorSystem keeps it: Ray's
    is set aside. One that chose none gets Ray's, which still ends it through
    its exit handlers (so the Ray it started is shut down)."""

    def __init__(self) -> None:
        self._was: Any = None
        if threading.current_thread() is threading.main_thread():
            self._was = signal.getsignal(signal.SIGTERM)

    def restore(self) -> None:
        was = self._was
        if was is None or was is signal.SIG_DFL:
            return
        signal.signal(signal.SIGTERM, was)


def _check_reachable(address: str) -> None:
    """Fail fast, naming the address, when nothing listens there: ``ray.init``
    itself would retry for a long while."""
    host, sep, port = address.rpartition(":")
    if address.startswith("ray://"):
        raise ValueError(
            f"Ray Address {address!r}: Ray Client addresses are not supported; give the "
            "cluster's GCS address host:port, or 'auto'"
        )
    if not sep or not port.isdigit():
        raise ValueError(f"Ray Address must be 'auto' or host:port, not {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_LIMIT):
            pass
    except OSError as exc:
        raise ConnectionError(f"nothing answers at Ray Address {address!r}: {exc}") from None


def acquire(address: Any) -> None:
    """Make sure this process is connected to Ray: the one it already has, else
    the cluster at ``address`` (``"auto"`` or host:port), else a new local Ray."""
    global _users, _ours
    import ray

    with _lock:
        if ray.is_initialized():
            current = gcs_address()
            if address not in (None, "auto") and current is not None and address != current:
                raise ConnectionError(
                    f"this process is connected to the Ray at {current}; a process has one Ray "
                    f"connection, so Ray Address {address!r} cannot be joined from it")
            if _ours:
                _users += 1
            return
        if address is None:
            start_local()
        else:
            if not isinstance(address, str):
                raise ValueError(f"Ray Address must be a string, not {address!r}")
            if address != "auto":
                _check_reachable(address)
            _quiet_environment()
            secret = os.environ.pop(SECRET_ENV, None)
            # a cluster on loopback is one on this machine: this driver joins it
            # as 127.0.0.1 too (otherwise Ray looks for its node at the host's
            # routable address, and waits for one that never comes)
            loopback = _LoopbackOnly() if _is_loopback(address) else None
            sigterm = _ProgramSigterm()
            try:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            finally:
                sigterm.restore()
                if loopback is not None:
                    loopback.restore()
                if secret is not None:
                    os.environ[SECRET_ENV] = secret
        _ours = True
        _users = 1


def _is_loopback(address: str) -> bool:
    host = address.rpartition(":")[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


def release() -> None:
    """A system of this process is done with Ray: the last one ends the
    connection this module made (and so a local Ray it started)."""
    global _users, _ours
    import ray

    with _lock:
        if not _ours:
            return
        _users -= 1
        if _users <= 0:
            _users = 0
            _ours = False
            ray.shutdown()


def gcs_address() -> str | None:
    """host:port of the Ray this process is connected to (what a second program
    passes as ``Ray Address`` to attach)."""
    import ray

    try:
        return str(ray.get_runtime_context().gcs_address)
    except Exception:
        return None
