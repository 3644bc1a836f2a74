"""A hostile peer for the UDP security tests: plain standard library, no actorcore.

Run as ``python -I -S hostile_udp.py`` (no site-packages, so it cannot import
actorcore) with one JSON object on stdin saying what to try; prints one JSON
object saying what came back. Every pickle it sends creates the file
``marker`` when unpickled, so a test proves that nothing was unpickled by
checking that the file does not exist.

It speaks the UDP base's datagrams (``!4sBBIIII`` header: magic, kind, flags,
stream, seq, ack, ack stream) in both versions (``AcU1``: no handshake, no
MAC; ``AcU2``: the current one) and the handshake's first messages; what it
shares with the TCP peer is ``hostile_wire.py``.
"""
from __future__ import annotations

import json
import os
import pickle
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves this folder off the path
from hostile_wire import HS_MAGIC, Evil, envelope, guessed_proof, hs_hello, run  # noqa: E402

HDR = struct.Struct("!4sBBIIII")
DATA, ACK, NAK, PROBE, PROBE_REPLY, HS = 1, 2, 3, 4, 5, 6
LAST = 1
CONTEXT = b"actorcore udp"


def data(magic: bytes, seq: int, payload: bytes, stream: int = 77) -> bytes:
    return HDR.pack(magic, DATA, LAST, stream, seq, 0, 0) + payload


def handshake(message: bytes, magic: bytes = b"AcU2") -> bytes:
    return HDR.pack(magic, HS, 0, 0, 0, 0, 0) + message


def answers(sock: socket.socket, limit: float, kind: int = 0) -> list[bytes]:
    """Every datagram that comes back within ``limit`` seconds (until the
    first of ``kind``, if given)."""
    got = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            got.append(sock.recv(65536))
        except (TimeoutError, ConnectionError):
            continue
        if kind and len(got[-1]) > 4 and got[-1][4] == kind:
            break
    return got


def squatter(cmd: dict, evil: bytes) -> dict:
    """Pretend to be an admin on the port: answer probes as one, and anything
    else with pickles of every kind and a challenge made up without the secret."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", cmd["port"]))
    print(json.dumps({"listening": True}), flush=True)
    deadline = time.monotonic() + cmd.get("wait", 20)
    served = 0
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            got, where = sock.recvfrom(65536)
        except TimeoutError:
            break
        if len(got) >= 5 and got[4] == PROBE:
            sock.sendto(HDR.pack(got[:4], PROBE_REPLY, 0, 0, 0, 0, 0), where)
            continue
        served += 1
        welcome = envelope("", "welcome", b"x+1:\nx\n1")
        for magic in (b"AcU1", b"AcU2"):
            sock.sendto(data(magic, 0, welcome), where)
            sock.sendto(data(magic, 1, envelope("x+1:0", "x", evil)), where)
        sock.sendto(handshake(evil), where)
        challenge = HS_MAGIC + b"\x02" + os.urandom(32) + os.urandom(32)
        sock.sendto(handshake(challenge), where)
    return {"mode": "squatter", "served": served}


def attack(cmd: dict) -> dict:
    mode = cmd["mode"]
    admin = ("127.0.0.1", cmd["port"])
    evil = pickle.dumps(Evil(cmd.get("marker", "/nonexistent/marker")))
    target = cmd.get("target", "x")
    if mode == "squatter":
        return squatter(cmd, evil)
    out: dict = {"mode": mode}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    if mode in ("old-client-hello", "old-actor-hello"):
        # the format of before the handshake, in both versions of the header
        role = b"client\n\n\n" if mode == "old-client-hello" else b"actor\nguess\nx/9\n"
        sender = "x+1:0" if mode == "old-client-hello" else "x/9"
        for magic in (b"AcU1", b"AcU2"):
            sock.sendto(data(magic, 0, envelope("", "hello", role)), admin)
            sock.sendto(data(magic, 1, envelope(target, sender, evil)), admin)
    elif mode == "pickle-after-hello":  # a handshake hello, then data with a made-up MAC
        sock.sendto(handshake(hs_hello(CONTEXT)), admin)
        body = envelope("", "hello", b"client\n\n\n")
        sock.sendto(HDR.pack(b"AcU2", DATA, LAST, 77, 0, 0, 0) + body + os.urandom(16), admin)
        body = envelope(target, "x+1:0", evil)
        sock.sendto(HDR.pack(b"AcU2", DATA, LAST, 77, 1, 0, 0) + body + os.urandom(16), admin)
    elif mode == "wrong-secret":
        sock.sendto(handshake(hs_hello(CONTEXT)), admin)
        got = [d for d in answers(sock, 1.0, HS) if len(d) > 22 and d[4] == HS]
        out["challenged"] = bool(got) and got[0][22:27] == HS_MAGIC + b"\x02"
        if out["challenged"]:
            sock.sendto(handshake(guessed_proof(got[0][22:])), admin)
            sock.sendto(HDR.pack(b"AcU2", DATA, LAST, 77, 0, 0, 0) + envelope(target, "x+1:0", evil)
                        + os.urandom(16), admin)
            refused = [d[22:] for d in answers(sock, 1.0, HS) if len(d) > 27 and d[4] == HS
                       and d[22:27] == HS_MAGIC + b"\x04"]
            out["answer"] = refused[0][5:].decode("ascii", "replace") if refused else None
    elif mode == "hello-flood":  # answered handshakes never completed, from many sockets
        socks = []
        for _ in range(cmd.get("count", 200)):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.sendto(handshake(hs_hello(CONTEXT)), admin)
            socks.append(s)
        time.sleep(0.5)
        out["challenged"] = 0
        for s in socks:
            out["challenged"] += len([d for d in answers(s, 0.005) if len(d) > 22 and d[4] == HS])
            s.close()
    elif mode == "oversize-handshake":
        sock.sendto(handshake(HS_MAGIC + b"\x01" + os.urandom(5000)), admin)
    elif mode == "replay":  # datagrams recorded elsewhere, sent again from here
        for hexed in cmd["datagrams"]:
            sock.sendto(bytes.fromhex(hexed), admin)
    else:
        raise SystemExit(f"unknown mode {mode}")
    time.sleep(0.2)
    sock.close()
    return out


if __name__ == "__main__":
    run(attack)
