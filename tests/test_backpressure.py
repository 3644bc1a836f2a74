"""Back-pressure (docs/api.md §5.9): an actor that sends far more than a transport
holds in flight, from one receiveMessage, is slowed down, never loses or
reorders a message."""
from __future__ import annotations

from actorcore import testing

from .actors.flow import Burster, OrderCounter
from .helpers import GET, WAIT

BURST = 3000
SIZE = 2000  # 6 MB in all: beyond the UDP window, the socket buffers and the queued-transmit limit


def test_a_burst_beyond_every_send_window_arrives_whole_and_in_order(asys):
    counter = asys.createActor(OrderCounter)
    burster = asys.createActor(Burster)
    assert asys.ask(burster, ("burst", counter, BURST, SIZE), WAIT * 4) == "sent"
    last = testing.until(lambda: (got := asys.ask(counter, GET, WAIT)) and got[0] >= BURST and got,
                         WAIT * 4)
    assert last == (BURST, True, BURST * SIZE)
