"""How the process that creates a multiprocess system gets its transport and
reaches a shared admin: attach to the admin on the Admin Port, or start one
there that outlives this process, and stop what it started if start-up fails.

Kept apart from :mod:`.client` (the running system), which calls it once, in
its constructor; it knows the transport contract and the admin's entry
point, never actors or messages.
"""
from __future__ import annotations

import contextvars
import enum
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

import attrs

from ... import logsetup
from .. import plugins
from ..errors import ActorSystemStartupError
from ..keys import SECRET_CAPABILITY
from ..transport import AttachState, ClientTransport, SharedClientTransport
from . import limits, logfwd, procs
from .admin import detached_admin_main
from .bootdata import AdminConfig
from .protocol import AdminFailed, AdminFailure, AdminReady


class Mode(enum.Enum):
    """What creating a shared system may do on its Admin Port."""

    #: attach to the admin there, or start one (what ``ActorSystem(...)`` does)
    EITHER = "either"
    #: attach only (``actorcore status``): nothing there is :class:`NoSystemThere`
    ATTACH = "attach"
    #: start only (``actorcore start``): an admin already there is an error
    START = "start"


_mode: contextvars.ContextVar[Mode] = contextvars.ContextVar("actorcore_admin_mode", default=Mode.EITHER)


class NoSystemThere(ActorSystemStartupError):
    """Attach only, and no admin answers on the Admin Port."""


@contextmanager
def only(mode: Mode) -> Iterator[None]:
    """Shared systems created in this block may only attach, or only start
    (the command line's ``status`` must never start the system it looks for)."""
    token = _mode.set(mode)
    try:
        yield
    finally:
        _mode.reset(token)


def make_transport(
    base_name: str, capabilities: Mapping[str, Any], given: Mapping[str, Any] | None
) -> ClientTransport:
    """This process's transport, from the plugin that serves ``base_name``;
    ``capabilities`` are the system's, ``given`` the caller's (which alone may
    hold the secret: the transport sees it, the system's capabilities never)."""
    try:
        given = dict(given or {})
        with_secret = dict(capabilities)
        if SECRET_CAPABILITY in given:
            with_secret[SECRET_CAPABILITY] = given[SECRET_CAPABILITY]
        transport = plugins.hook().actorcore_make_transport(
            base_name=base_name, capabilities=with_secret
        )
    except ConnectionError as exc:  # the transport says what to change
        raise ActorSystemStartupError(f"{base_name} cannot start: {exc}") from None
    except (ValueError, TypeError) as exc:
        # a bad capability value: the plugin's message says which and what it
        # must be; the frames of the hook call (pluggy's) would only bury it
        raise exc.with_traceback(None) from None
    if transport is None:
        raise ActorSystemStartupError(f"no transport plugin serves {base_name}")
    return transport


def shared(transport: ClientTransport, base_name: str) -> SharedClientTransport:
    """``transport`` as the client of a shared admin, or a clear error (and
    ``transport`` closed) when its base declared it shared but it cannot attach."""
    if not isinstance(transport, SharedClientTransport):
        transport.close()
        raise ActorSystemStartupError(
            f"{base_name} is declared shared, but its transport ({type(transport).__name__}) "
            "cannot attach to an admin on the Admin Port: it must implement "
            "actorcore.plugin.SharedClientTransport"
        )
    return transport


def attach_or_start(
    base_name: str, transport: SharedClientTransport, ctx: Any, cfg: AdminConfig,
    default_logs: bool, attach: Callable[[], AdminReady],
) -> tuple[AdminReady, bool]:
    """Attach to the admin on the Admin Port, or start one there that outlives
    this process (``cfg``'s capabilities and logDefs apply only then); then
    ``attach()`` asks it for its answer. Returns that answer and whether this
    call started the admin. On failure the admin it started is stopped (with
    its spare and actors) and ``transport`` closed."""
    where = f"{transport.admin_host}:{transport.admin_port}"
    started = 0  # the admin this call started: a start-up that fails leaves it not behind
    mode = _mode.get()
    try:
        found = transport.try_attach()
        if found is AttachState.ABSENT and mode is Mode.ATTACH:
            raise NoSystemThere(f"no actor system on {where}")
        if found is AttachState.ATTACHED and mode is Mode.START:
            raise ActorSystemStartupError(
                f"an actor system already runs on {where} (admin pid {transport.admin_pid})")
        if found is AttachState.ABSENT:
            cfg, log_file = _admin_log_file(base_name, cfg, transport.admin_port, default_logs)
            try:
                transport.preflight()
            except ConnectionError as exc:
                raise ActorSystemStartupError(f"{base_name} on {where}: {exc}") from None
            failed, started = _start_detached(base_name, transport, ctx, cfg)
            if failed is not None and failed.kind == AdminFailure.LOGDEFS:
                raise ValueError(failed.error)
            if failed is not None:
                raise ActorSystemStartupError(f"{base_name} admin on {where} did not start: {failed.error}")
            if transport.try_attach(wait=limits.STARTUP_LIMIT) is not AttachState.ATTACHED:
                raise ActorSystemStartupError(f"{base_name} admin started on {where} but does not answer")
            if log_file:
                print(f"actorcore: {base_name} admin on {where} (pid {started}) "
                      f"logs to {log_file}", file=sys.stderr)
        return attach(), bool(started)
    except PermissionError as exc:  # the admin there and we do not share the secret
        _abandon(transport, started)
        raise ActorSystemStartupError(f"{base_name} cannot attach to {where}: {exc}") from None
    except ConnectionError as exc:
        _abandon(transport, started)
        raise ActorSystemStartupError(
            f"{base_name} cannot use {where}: {exc}. Pick another 'Admin Port' capability."
        ) from None
    except BaseException:
        _abandon(transport, started)
        raise


def _start_detached(
    base_name: str, transport: SharedClientTransport, ctx: Any, cfg: AdminConfig
) -> tuple[AdminFailed | None, int]:
    """Start a shared admin on the Admin Port (through a short-lived starter
    process, from which it detaches); what went wrong (None for nothing) and
    the admin's pid (0 while not known)."""
    try:
        link = transport.admin_link()
    except OSError as exc:
        raise ActorSystemStartupError(
            f"{base_name} cannot start an admin: {exc.strerror or exc}"
        ) from None
    reader, writer = ctx.Pipe(duplex=False)
    starter = ctx.Process(
        target=detached_admin_main, args=(link, cfg, writer),
        name=f"actorcore-admin-starter {base_name}", daemon=False,
    )
    starter.start()
    link.release()
    writer.close()
    if not reader.poll(limits.STARTUP_LIMIT):
        starter.kill()
        starter.join()
        return AdminFailed(error="no answer"), 0
    answer = reader.recv()  # the admin's pid, or AdminFailed
    # not join(timeout): that waits on a pipe the detached admin inherited
    starter.join()
    if isinstance(answer, AdminFailed):
        return answer, 0
    return None, answer


def _admin_log_file(
    base_name: str, cfg: AdminConfig, port: int, default_logs: bool
) -> tuple[AdminConfig, str]:
    """A detached admin's stdout and stderr are /dev/null: with the default
    logDefs (or 'BestForBase') it logs to a file instead. ``cfg`` with the
    logDefs that say so, and the file's path ("": ``cfg`` as it was)."""
    if not default_logs:
        return cfg, ""
    try:
        path = logsetup.admin_log_path(base_name, port)
    except OSError:
        return cfg, ""  # no state directory: keep the stderr default
    logDefs = logsetup.file_config(path)
    return attrs.evolve(cfg, logDefs=logDefs, log_threshold=logfwd.threshold(logDefs)), path


def _abandon(transport: SharedClientTransport, pid: int) -> None:
    """Start-up failed: stop the admin we started, if we did (with its spare
    and actors, which share its process group), and close our side."""
    if pid:
        procs.stop_group(pid, 5.0)
        transport.admin_pid = pid  # closing waits for no acknowledgement from it
    transport.close()
