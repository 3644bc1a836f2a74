"""Socket helpers the UDP and TCP bases share (base-independent)."""
from __future__ import annotations

import socket

from actorcore._core.runtime.netbase import avoiding


def test_a_clients_own_socket_never_takes_the_admin_port():
    """The kernel may hand a client's ephemeral socket the very port it picked
    as a free Admin Port a moment before; the client then attached to itself."""
    first = socket.socket()
    first.bind(("127.0.0.1", 0))
    taken = first.getsockname()[1]
    made = [first]

    def make():
        if len(made) == 1 and not made[0]._closed:
            made.append(None)
            return first  # what the kernel might hand out: the Admin Port
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        made.append(sock)
        return sock

    got = avoiding(make, taken)
    try:
        assert got.getsockname()[1] != taken
        assert first._closed
    finally:
        got.close()
