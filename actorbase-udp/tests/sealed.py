"""A socket that holds the system's secret and sends hand-made datagrams: it
runs the handshake of ``actorcore._core.handshake`` with a UDP admin, then seals
whatever header and payload a test gives it (for the cases past the
handshake: a stream without a hello, fragments that do not add up)."""
from __future__ import annotations

import hashlib
import socket
import time

from actorbase_udp.wire import CONTEXT, DATA, HDR, HS, LAST, MAGIC
from actorcore._core import keys
from actorcore._core.handshake import MAC_BYTES, Handshake


class Sealed:
    def __init__(self, port: int, host: str = "127.0.0.1", limit: float = 5.0) -> None:
        self.where = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        hs = Handshake(keys.resolve({}).key("handshake"), True, CONTEXT)
        hello = hs.start()
        deadline = time.monotonic() + limit
        while not hs.done:
            if time.monotonic() > deadline:
                raise TimeoutError("no handshake answer")
            self.control(HS, hello)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if data[4] == HS:
                self.proof = hs.receive(data[HDR.size:])
        self.control(HS, self.proof)
        self.send_key, self.read_key = hs.direction_keys()

    def control(self, kind: int, body: bytes = b"") -> None:
        self.sock.sendto(HDR.pack(MAGIC, kind, 0, 0, 0, 0, 0) + body, self.where)

    def sealed(self, head: bytes, payload: bytes) -> bytes:
        tag = hashlib.blake2b(head + payload, digest_size=MAC_BYTES, key=self.send_key).digest()
        return head + payload + tag

    def data(self, seq: int, payload: bytes, last: bool = True, stream: int = 7) -> None:
        head = HDR.pack(MAGIC, DATA, LAST if last else 0, stream, seq, 0, 0)
        self.sock.sendto(self.sealed(head, payload), self.where)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Sealed:
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.1)  # the admin reads what was sent before the socket goes
        self.close()
