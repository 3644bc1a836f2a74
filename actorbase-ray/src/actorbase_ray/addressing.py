"""Addresses of a Ray system, and where each one is reached.

Every address starts with the system's Ray namespace, so any process of the
cluster can tell which system an address belongs to and look the actor up
by name there, without asking anyone:

| who | details | reached at |
|---|---|---|
| the system (its admin) | ``<ns>`` | the Ray actor ``admin`` of namespace ``<ns>`` |
| an endpoint of a program | ``<ns>+<client>-<n>`` | the admin, which keeps its inbox |
| an actor | ``<ns>/<maker>-<n>`` | the Ray actor of that very name |
| an actor with a globalName | ``<ns>/=<globalName>`` | likewise; Ray's unique names make the create atomic |
| a node of the cluster (nodes.py) | ``<ns>@<node id>`` | the admin, as the system's own address |

``<maker>`` is a random tag of the process that made the actor, so actor
names are picked without a round trip and never collide.
"""
from __future__ import annotations

import itertools
import re
import secrets
from typing import Any

#: the base's name (status answers carry it)
BASE_NAME = "rayBase"
#: the Ray actor name of a system's admin, in the system's namespace
ADMIN_NAME = "admin"

_NAMESPACE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}\Z")


class RayId(str):
    """Address details of rayBase (a plain string underneath, so that it hashes
    and compares as one; its own type tells the address-printing hook it is ours)."""

    __slots__ = ()


def check_namespace(name: object) -> str:
    """A ``Ray Namespace`` capability value, checked: it begins every address."""
    if not isinstance(name, str) or not _NAMESPACE.match(name):
        raise ValueError(
            f"Ray Namespace must be 1-63 letters, digits, '_', '.' or '-' (not starting "
            f"with '.' or '-'), not {name!r}"
        )
    return name


def new_namespace() -> str:
    return f"ac{secrets.token_hex(5)}"


def namespace_of(details: str) -> str:
    """The namespace (and so the system) an address belongs to."""
    for i, ch in enumerate(details):
        if ch == "/" or ch == "+" or ch == "@":
            return details[:i]
    return details


def is_actor(details: str) -> bool:
    return "/" in details


def global_id(namespace: str, globalName: str) -> RayId:
    return RayId(f"{namespace}/={globalName}")


class Ids:
    """Names for the actors one process makes, or the endpoints it opens."""

    def __init__(self, namespace: str, sep: str) -> None:
        self._prefix = f"{namespace}{sep}{secrets.token_hex(4)}-"
        self._seq = itertools.count(1)

    def next(self) -> RayId:
        return RayId(f"{self._prefix}{next(self._seq)}")


def foreign_refusal(target: str, own: str) -> str | None:
    """Why a message from system ``own`` cannot go to ``target``, or None when
    it can. Systems are isolated as on every base without conventions: one
    reaches another's actors only as members of a convention, which rayBase
    has not (two namespaces of one Ray cluster are two systems)."""
    other = namespace_of(target)
    if other == own:
        return None
    return (f"not delivered: {target} is an actor of system {other}, which this system cannot "
            f"reach (it is not this one and not in a convention with it)")


_warned: set[str] = set()


def warn_foreign(log: Any, target: str) -> None:
    """Say, once per system, that messages to it are not delivered."""
    other = namespace_of(target)
    if other in _warned:
        return
    _warned.add(other)
    log.warning(
        "messages to %s and other addresses of actor system %s cannot be delivered (they go back "
        "to their senders as PoisonMessage): that system is not this one and not (or no longer) "
        "in a convention with it (rayBase systems are Ray namespaces, and have no conventions)",
        target, other)
