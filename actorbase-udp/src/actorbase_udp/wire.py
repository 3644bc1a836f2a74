"""What a datagram of the UDP transport looks like, and the numbers that
bound a stream: header and kinds, payload sizes, windows, timers; and the
address helpers every part of the transport uses.

Datagram header (``HDR``): magic, kind, flags, the sender's stream id, the
sequence number, and a cumulative acknowledgement (with the stream id it
acknowledges) for the opposite direction, carried on every data datagram so
a reply usually doubles as the ack. Knows bytes and addresses, never actors.
"""
from __future__ import annotations

import os
import socket
import struct
from typing import Any, Iterable

from actorcore.plugin import MAC_BYTES

MAGIC = b"AcU2"  # 2: authenticated (a version-1 peer's datagrams are garbage here)
HDR = struct.Struct("!4sBBIIII")  # magic kind flags stream seq ack ack_stream
#: HDR's two methods, bound once: they run for every datagram, and a method of
#: a name imported from another module is called without CPython's method-call
#: shortcut (the compiler takes such a name for a module)
pack_header = HDR.pack
unpack_header = HDR.unpack_from
DATA, ACK, NAK, PROBE, PROBE_REPLY, HS, NOSESSION = 1, 2, 3, 4, 5, 6, 7
LAST = 1  # flags: this fragment ends its message
CONTEXT = b"actorcore udp"
SEALED = HDR.size + MAC_BYTES  # the shortest sealed datagram (header, no payload, MAC)

#: Payload per datagram: loopback carries near-64 KiB datagrams in one piece;
#: anything else stays under a common Ethernet MTU, so one lost IP fragment
#: does not take a whole 64 KiB datagram with it.
LOOPBACK_PAYLOAD = 65000
NETWORK_PAYLOAD = 1400

WINDOW = 128  # datagrams in flight per channel before the rest waits in order
WINDOW_BYTES = 2 * 1024 * 1024
RCV_WINDOW = 256  # out-of-order datagrams a receiver keeps per channel (bounded memory)
#: A stream whose hello has not been read yet may be anyone's: it gets a tiny
#: window, a hello-sized message at most, and only so many of them at once.
STRANGER_WINDOW = 4
STRANGER_BYTES = 64 * 1024
MAX_STRANGERS = 128
STRANGER_HELD = 64
MAX_CHANNELS = 4096
RTO_FIRST = 0.1  # seconds before the first retransmission
RTO_MAX = 2.0
SOCKET_BUFFER = 8 * 1024 * 1024
SACK_BITS = 256  # how far past a gap an ack says what arrived
READ_BATCH = 512  # datagrams read per wake-up before the loop gets a turn
HS_FIRST = 0.1  # seconds before a handshake message is sent again
MAX_PENDING = 128  # handshakes answered but not completed, per socket
REKEY_EVERY = 1.0  # at most one handshake per peer per second on its hint

Address = tuple[str, int]
Envelope = tuple[str, str, bytes]


def payload_size(where: Address) -> int:
    return LOOPBACK_PAYLOAD if where[0].startswith("127.") else NETWORK_PAYLOAD


def test_drop_rate() -> float:
    """``ACTORCORE_UDP_TEST_DROP``: a fraction of outgoing datagrams to throw
    away, for loss tests where the kernel has no netem. Never set in use."""
    raw = os.environ.get("ACTORCORE_UDP_TEST_DROP", "")
    if not raw:
        return 0.0
    try:
        return min(0.9, max(0.0, float(raw)))
    except ValueError:
        return 0.0


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, port))
    return sock


def resolve(text: str) -> Address:
    """``host:port`` as a socket address. A numeric IPv4 host is taken as it is:
    the first name lookup in a process loads the resolver (milliseconds), and
    every address the transports exchange among themselves is numeric."""
    host, _, port = text.rpartition(":")
    try:
        socket.inet_aton(host)
    except OSError:
        host = socket.gethostbyname(host)
    return host, int(port)


def fmt(where: Iterable[Any]) -> str:
    host, port = tuple(where)[:2]
    return f"{host}:{port}"


def reachable(host: str) -> str:
    """Where to send to reach a socket bound to ``host`` on this machine: a
    socket bound to every interface answers from a real one (loopback), and
    replies are matched by the address they come from."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else host
