"""ActorSystem.systemUpdate: Thespian's back door for test controls."""
from __future__ import annotations

import pytest

from .actors.basic import Echo
from .actors.system import Looper
from .helpers import WAIT


@pytest.mark.requires(multiprocess=False, reason="in actor processes nothing is delivered "
                                               "in the caller's call")
def test_processing_limit_stops_a_message_loop_in_the_caller(asys):
    asys.systemUpdate("setProcessingLimit", 50)
    looper = asys.createActor(Looper)
    with pytest.raises(RuntimeError, match="setProcessingLimit"):
        asys.ask(looper, "start", WAIT)


def test_processing_limit_is_accepted_and_zero_lifts_it(asys):
    asys.systemUpdate("setProcessingLimit", 10)
    assert asys.ask(asys.createActor(Echo), "still here", WAIT) == "still here"
    asys.systemUpdate("setProcessingLimit", 0)
    assert asys.ask(asys.createActor(Looper), "start", WAIT) == "looped"


@pytest.mark.parametrize("args, error", [(("ten",), TypeError), ((-1,), ValueError), ((True,), TypeError)])
def test_processing_limit_refuses_what_is_not_a_count(asys, args, error):
    with pytest.raises(error, match="setProcessingLimit"):
        asys.systemUpdate("setProcessingLimit", *args)


@pytest.mark.parametrize("kind, hint", [("dupLogToFile", "logDefs"), ("noSuchUpdate", "setProcessingLimit")])
def test_other_update_kinds_are_refused_clearly(asys, kind, hint):
    with pytest.raises(ValueError, match=kind) as caught:
        asys.systemUpdate(kind, "/tmp/x.log")
    assert hint in str(caught.value)
    assert asys.ask(asys.createActor(Echo), "alive", WAIT) == "alive"
