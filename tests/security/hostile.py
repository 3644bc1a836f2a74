"""A hostile peer for the security tests: plain standard library, no actorcore.

Run as ``python -I -S hostile.py`` (no site-packages, so it cannot import
actorcore) with one JSON object on stdin saying what to try; prints one JSON
object saying what the other side did. Every attack that carries a pickle
uses one whose unpickling creates the file ``marker``, so a test proves that
nothing was unpickled by checking that the file does not exist.

It speaks the TCP base's framing (``!I`` length, then ``!HH`` address
lengths, addresses and data; before authentication a length and a
handshake message) and the handshake's first messages; what it shares with
the UDP peer is ``hostile_wire.py``.
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

CONTEXT = b"actorcore tcp"


def raw_frame(message: bytes) -> bytes:
    return struct.pack("!I", len(message)) + message


def hello(nonce: bytes) -> bytes:
    return raw_frame(hs_hello(CONTEXT, nonce))


def read_frame(sock: socket.socket, limit: float) -> bytes | None:
    sock.settimeout(limit)
    head = b""
    try:
        while len(head) < 4:
            got = sock.recv(4 - len(head))
            if not got:
                return None
            head += got
        size = struct.unpack("!I", head)[0]
        body = b""
        while len(body) < min(size, 1 << 16):
            got = sock.recv(size - len(body))
            if not got:
                return None
            body += got
        return body
    except (TimeoutError, ConnectionError):
        return None


def closed_by_peer(sock: socket.socket, limit: float) -> bool:
    sock.settimeout(limit)
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def attack(cmd: dict) -> dict:
    mode = cmd["mode"]
    port = cmd["port"]
    evil = pickle.dumps(Evil(cmd.get("marker", "/nonexistent/marker")))
    target = cmd.get("target", "x")
    out: dict = {"mode": mode}
    if mode == "squatter":  # pretend to be an admin: answer anything with a pickle
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", port))
        lsock.listen(8)
        print(json.dumps({"listening": True}), flush=True)
        lsock.settimeout(cmd.get("wait", 20))
        served = 0
        try:
            while served < cmd.get("connections", 1):
                conn, _ = lsock.accept()
                served += 1
                conn.settimeout(2)
                try:
                    conn.recv(4096)
                except OSError:
                    pass
                welcome = envelope("", "welcome", b"x+1:\nx\n1")
                conn.sendall(welcome + envelope("x+1:0", "x", evil) + raw_frame(evil))
                closed_by_peer(conn, 3)
                conn.close()
        except TimeoutError:
            pass
        out["served"] = served
        return out
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if mode == "pickle-first":
        sock.sendall(envelope(target, "x", evil))
    elif mode == "old-client-hello":
        sock.sendall(envelope("", "hello", b"client\n\n\n"))
        sock.sendall(envelope(target, "x+1:0", evil))
    elif mode == "old-actor-hello":
        sock.sendall(envelope("", "hello", b"actor\nguess\nx/9\n"))
        sock.sendall(envelope(target, "x/9", evil))
    elif mode == "pickle-after-hello":
        sock.sendall(hello(os.urandom(32)) + envelope(target, "x", evil))
    elif mode in ("wrong-secret", "reflect"):
        sock.sendall(hello(os.urandom(32)))
        challenge = read_frame(sock, 5)
        out["challenged"] = bool(challenge and challenge[:5] == HS_MAGIC + b"\x02")
        if out["challenged"]:
            tag_r = challenge[5 + 32 :]
            proof = HS_MAGIC + b"\x03" + tag_r if mode == "reflect" else guessed_proof(challenge)
            sock.sendall(raw_frame(proof))
            sock.sendall(raw_frame(os.urandom(16) + struct.pack("!HH", len(target), 1)
                                   + target.encode() + b"x" + evil))
            answer = read_frame(sock, 5)
            out["answer"] = answer[:80].decode("ascii", "replace") if answer else None
    elif mode == "replay":
        sock.sendall(bytes.fromhex(cmd["bytes"]))
    elif mode == "garbage":
        sock.sendall(os.urandom(64) + b"\0" * 64)
    elif mode == "huge-length":
        sock.sendall(struct.pack("!I", 0xFFFFFFFF) + b"xx")
    elif mode == "over-4k":
        sock.sendall(struct.pack("!I", 4097) + b"\0" * 4097)
    elif mode == "truncated":
        sock.sendall(hello(os.urandom(32))[:20])
        sock.shutdown(socket.SHUT_WR)
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["closed"] = closed_by_peer(sock, cmd.get("wait", 10))
    sock.close()
    return out


if __name__ == "__main__":
    run(attack)
