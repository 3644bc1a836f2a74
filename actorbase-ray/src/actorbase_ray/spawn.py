"""Making the Ray actor that hosts one actor, from any process of the system."""
from __future__ import annotations

import dataclasses
import functools
from typing import Any

from .placement import pinned

#: threads of a host for Ray calls: deliveries and the waits of its watchers
#: (its parent's and its admin's) run side by side
HOST_THREADS = 8
#: threads of a host where programs' asks wait for the actor's reply (host.py,
#: ``ask``); an ask that finds none free waits its turn, so each holds one
#: only while its reply is due
ASK_THREADS = 16


@dataclasses.dataclass(frozen=True)
class HostBoot:
    """What a host needs to make its actor (pickled by Ray into the new process)."""

    namespace: str
    me: str
    parent: str | None
    spec: str  # the class, by importable name (classes.py)
    requirements: Any
    globalName: str | None
    sourceHash: str | None
    capabilities: dict[str, Any]
    logDefs: Any
    log_env: dict[str, str]  # the creator's internal-log settings (logs.py)
    system_capabilities: dict[str, Any]  # the system's (``capabilities``: the node's, if pinned)


@functools.cache
def _remote_host() -> Any:
    import ray

    from .host import ActorHost

    # (Ray's overloads of remote() leave out concurrency_groups, which it takes)
    return ray.remote(concurrency_groups={"ask": ASK_THREADS})(ActorHost)  # type: ignore[call-overload]


def spawn(boot: HostBoot, named: bool, node: str | None = None) -> Any:
    """Start the host of ``boot.me`` as a Ray actor and return its handle at
    once (Ray queues calls until the host is up). With ``named`` (a
    globalName), an actor already running under that name is returned
    instead: Ray's names are unique, so two creates never make two.

    Ray's own restarts and retries are off (actorcore supervises); the
    actor is detached, so it outlives whoever made it (an orphan lives on,
    as on every base); it takes no CPU, so a node hosts as many as fit.
    With ``node``, it runs on that node or not at all (placement.py)."""
    return _remote_host().options(
        name=boot.me,
        namespace=boot.namespace,
        get_if_exists=named,
        lifetime="detached",
        num_cpus=0,
        max_restarts=0,
        max_task_retries=0,
        max_concurrency=HOST_THREADS,
        **pinned(node),
    ).remote(boot)


#: what ``ActorHost.ready`` says in place of a failure once its actor has ended
ENDED = "ended"
#: seconds a create under a global name waits for an ending holder to let go of it
NAME_RELEASE_LIMIT = 10.0


def live_global(namespace: str, me: str) -> bool:
    """Whether a running actor holds the global name ``me`` now. One that is
    ending is waited for (bounded) until Ray has released the name, so the
    create that follows makes a new actor rather than finding the old one."""
    import time

    import ray

    deadline = time.monotonic() + NAME_RELEASE_LIMIT
    while True:
        try:
            handle = ray.get_actor(me, namespace=namespace)
        except ValueError:
            return False
        try:
            failure: str | None = ray.get(handle.ready.remote(), timeout=NAME_RELEASE_LIMIT)[0]
        except Exception:
            failure = ENDED  # died meanwhile: its name goes with it
        if failure is None:
            return True
        if time.monotonic() > deadline:
            return True  # still held: the create finds the holder, as Ray decides
        time.sleep(0.02)
