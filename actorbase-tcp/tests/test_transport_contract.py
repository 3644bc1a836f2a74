"""The TCP transports against the Protocols of actorcore/transport.py, tested
directly: the isinstance checks the runtime makes hold, and try_attach says
what it found with AttachState."""
from __future__ import annotations

from actorbase_tcp.transport import ClientTcpTransport
from actorcore._core.transport import AttachState, PeerTransport, SharedClientTransport
from actorcore.testing import free_port

KEY = b"k" * 32  # the handshake key


def test_the_transports_are_what_the_runtime_takes_them_for():
    client = ClientTcpTransport("127.0.0.1", free_port(), 1 << 20, KEY)
    try:
        assert isinstance(client, SharedClientTransport)
        assert not isinstance(client, PeerTransport)
        admin = client.admin_link().open()  # the admin's transport, built here on the bound port
        try:
            assert isinstance(admin, PeerTransport)
            assert admin.port == client.admin_port
        finally:
            admin.close()
    finally:
        client.close()


def test_try_attach_finds_nothing_on_a_free_port_and_says_so():
    client = ClientTcpTransport("127.0.0.1", free_port(), 1 << 20, KEY)
    try:
        assert client.try_attach() is AttachState.ABSENT
    finally:
        client.close()
