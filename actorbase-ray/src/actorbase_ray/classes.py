"""Which actor classes travel to a Ray worker, and how: by importable name.

A Ray worker is a fresh interpreter (as under the 'spawn' start method): it
imports an actor's class by its module and name, as the other multiprocess
bases do, so that every node runs the code it has installed. Classes it
cannot import are refused where the create is made, saying why."""
from __future__ import annotations

from actorcore.actors import ActorSystemFailure, InvalidActorSpecification
from actorcore.plugin import class_spec

#: the one value of "Process Startup Method" rayBase honours (Ray starts the processes)
START_METHOD = "spawn"


def shippable(cls: type) -> str:
    """The "module.Name" a Ray worker imports ``cls`` by; InvalidActorSpecification
    when no worker could."""
    spec = class_spec(cls)
    if "<locals>" in spec:
        raise InvalidActorSpecification(
            cls, f"{cls.__qualname__} is defined inside a function and {cls.__module__} does "
            f"not bind it at its top level, so a Ray worker cannot import it; bind it there "
            f"({cls.__name__} = ...) or define it at module level")
    if cls.__module__ == "__main__":
        raise InvalidActorSpecification(
            cls, f"{cls.__qualname__} is defined in __main__, which Ray worker processes do not "
            f"share: they start fresh, as under the 'spawn' start method (rayBase has no 'fork' "
            f"start method); define it in a module the workers can import")
    return spec


def check_start_method(value: object) -> None:
    """ActorSystemFailure for a "Process Startup Method" rayBase cannot honour."""
    if value is not None and value != START_METHOD:
        raise ActorSystemFailure(
            f"Process Startup Method {value!r} is not available on rayBase: Ray starts every "
            f"actor in a fresh worker process (as {START_METHOD!r} does)")
