"""Actor classes defined in the running script (``__main__``): when the
processes of a multiprocess system can have them.

Under the ``fork`` start method the admin is a copy of the program made at
``ActorSystem()`` time, and every actor process is a copy of the admin (or of
a spare it forked), so all of them hold the script's ``__main__`` as it was
then: a class bound at its top level by that moment is the same class there.
A class defined later, a system this program attached to instead of
starting, and the ``spawn``/``forkserver`` start methods (which import the
script afresh, running its top level again) cannot be relied on, and are
refused with the reason.
"""
from __future__ import annotations

import sys
from typing import Any

MAIN = "__main__"

#: Admin address -> the ``__main__`` classes its fork saw; only for admins
#: this process forked (a second handle in this process finds them too).
_forked: dict[str, dict[str, type]] = {}


def snapshot() -> dict[str, type]:
    """The classes bound at the top level of ``__main__`` now."""
    main = sys.modules.get(MAIN)
    return {k: v for k, v in vars(main).items() if isinstance(v, type)} if main is not None else {}


def remember(admin_address: str, classes: dict[str, type]) -> None:
    """This process forked the admin at ``admin_address`` while ``classes`` were bound."""
    _forked[admin_address] = classes


def defined_in_main(cls: type) -> bool:
    return cls.__module__ == MAIN


def refusal(cls: type, start_method: str, admin_address: str) -> str | None:
    """Why the admin at ``admin_address`` cannot create ``cls`` (a class of
    ``__main__``) for this program; None when it can."""
    name = cls.__qualname__
    if start_method != "fork":
        return (f"{name} is defined in __main__, which the admin and actor processes do not "
                f"share under the {start_method!r} start method; define it in an importable "
                "module, or use the 'fork' start method (capability 'Process Startup Method': "
                "'fork', where the platform has it)")
    classes = _forked.get(admin_address)
    if classes is None:
        return (f"{name} is defined in __main__, and this program attached to an admin it did "
                "not start, whose processes do not have this script's classes; define it in an "
                "importable module")
    if classes.get(cls.__name__) is not cls:
        return (f"{name} was not bound at the top level of __main__ when ActorSystem() started "
                "the admin, whose processes copied __main__ as it was then; define actor classes "
                "before the ActorSystem() call, or in an importable module")
    return None


def refusal_in_actor(cls: type, start_method: str) -> str | None:
    """Why an actor process cannot have its admin create ``cls`` (a class of
    ``__main__``); None when the admin, sharing this process's ``__main__``,
    has the same class."""
    if start_method != "fork":
        return refusal(cls, start_method, "")
    main: Any = sys.modules.get(MAIN)
    if getattr(main, cls.__name__, None) is not cls:
        return (f"{cls.__qualname__} was not bound at the top level of __main__ when the "
                "system started, so the admin does not have it; define it in an importable module")
    return None

