"""Reaching a running shared system from the command line, and starting one.

Only bases that declare an Admin Port and ``shared`` qualify: a system of any
other base lives inside the program that made it, so there is nothing for a
command to find or leave running.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from .. import plugins
from ..errors import ActorSystemStartupFailure
from ..registry import SystemBaseInfo
from ..runtime import portinfo, startup


class CommandError(Exception):
    """What a command prints (one line, no traceback) before exiting 1."""


def shared_bases() -> list[SystemBaseInfo]:
    """Installed bases whose systems outlive their program, TCP first."""
    found = [i for i in plugins.registry().infos() if i.shared and i.admin_port]
    return sorted(found, key=lambda i: (i.admin_port != "tcp", i.name))


def base_info(name: str | None) -> list[SystemBaseInfo]:
    """The base a command names (a clear refusal for one with no Admin Port),
    or every shared base when it names none."""
    if name is None:
        bases = shared_bases()
        if not bases:
            raise CommandError("no installed system base has an Admin Port "
                               "(install actorbase-tcp or actorbase-udp)")
        return bases
    info = plugins.registry().get(name)
    if info is None:
        installed = ", ".join(plugins.registry().names()) or "none"
        raise CommandError(f"no system base named {name!r} is installed (installed: {installed})")
    if not (info.shared and info.admin_port):
        others = ", ".join(i.name for i in shared_bases()) or "multiprocTCPBase, multiprocUDPBase"
        raise CommandError(
            f"{name} has no Admin Port: its systems live only inside the program that creates "
            f"them, so none runs on its own; use a base that has one ({others})")
    return [info]


def admin_port(info: SystemBaseInfo, port: int | None) -> int:
    return port if port is not None else int(info.capabilities.get("Admin Port", 0))


def _open(info: SystemBaseInfo, caps: dict[str, Any], mode: startup.Mode, logDefs: Any) -> Any:
    from ..system import ActorSystem

    with startup.only(mode):
        return ActorSystem(info.name, caps, logDefs=logDefs, transientUnique=True)


@contextmanager
def attached(base: str | None, port: int | None) -> Iterator[tuple[Any, SystemBaseInfo, int]]:
    """The system running on ``port`` (each shared base's default port when
    None), attached to and let go of on leaving; CommandError when there is
    none, or it will not have us (another secret)."""
    tried: list[str] = []
    for info in base_info(base):
        where = admin_port(info, port)
        try:
            asys = _open(info, {"Admin Port": where}, startup.Mode.ATTACH, False)
        except startup.NoSystemThere:
            tried.append(str(where) if port is not None else f"{where} ({info.name})")
            continue
        except (ActorSystemStartupFailure, ConnectionError, PermissionError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        try:
            yield asys, info, where
        finally:
            detach(asys)
        return
    ports = list(dict.fromkeys(tried))
    raise CommandError(f"no actor system on port {' or '.join(ports)}")


def detach(asys: Any) -> None:
    """Let go of a shared system without stopping it."""
    base = getattr(asys, "_base", None)
    if base is not None and hasattr(base, "detach"):
        base.detach()


def start(info: SystemBaseInfo, caps: dict[str, Any], logDefs: Any) -> Any:
    """Start a system of ``info`` that outlives this process; CommandError
    saying why it did not start (and, for a port held, by whom if the OS says)."""
    port = admin_port(info, caps.get("Admin Port"))
    try:
        asys = _open(info, caps, startup.Mode.START, logDefs)
    except (ActorSystemStartupFailure, ConnectionError, PermissionError, ValueError) as exc:
        text = str(exc)
        holder = portinfo.port_holder(port, info.admin_port or "tcp") if port else ""
        if holder and "pid " not in text:
            text += f" (port {port} is held by {holder})"
        raise CommandError(text) from None
    return asys
