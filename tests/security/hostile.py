"""A hostile peer for the security tests: plain standard library, no actorcore.

Run as ``python -I -S hostile.py`` (no site-packages, so it cannot import
actorcore) with one JSON object on stdin saying what to try; prints one JSON
object saying what the other side did. Every attack that carries a pickle
uses one whose unpickling creates the file ``marker``, so a test proves that
nothing was unpickled by checking that the file does not exist.

It speaks the TCP base's framing (``!I`` length, then ``!HH`` address
lengths, addresses and data; before authentication a length and a
handshake message) and the handshake's first messages, written here again
from the protocol description so that it depends on nothing of ours.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import socket
import struct
import sys
import time

MAGIC = b"ACH1"
CONTEXT = b"actorcore tcp"


class Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # unpickling this creates the marker file
        return (open, (self.marker, "w"))


def envelope_frame(target: str, sender: str, data: bytes) -> bytes:
    t, s = target.encode(), sender.encode()
    return struct.pack("!IHH", len(t) + len(s) + len(data) + 4, len(t), len(s)) + t + s + data


def raw_frame(message: bytes) -> bytes:
    return struct.pack("!I", len(message)) + message


def hello(nonce: bytes) -> bytes:
    return raw_frame(MAGIC + bytes((1, len(CONTEXT))) + CONTEXT + nonce)


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
                welcome = envelope_frame("", "welcome", b"x+1:\nx\n1")
                conn.sendall(welcome + envelope_frame("x+1:0", "x", evil) + raw_frame(evil))
                closed_by_peer(conn, 3)
                conn.close()
        except TimeoutError:
            pass
        out["served"] = served
        return out
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if mode == "pickle-first":
        sock.sendall(envelope_frame(target, "x", evil))
    elif mode == "old-client-hello":
        sock.sendall(envelope_frame("", "hello", b"client\n\n\n"))
        sock.sendall(envelope_frame(target, "x+1:0", evil))
    elif mode == "old-actor-hello":
        sock.sendall(envelope_frame("", "hello", b"actor\nguess\nx/9\n"))
        sock.sendall(envelope_frame(target, "x/9", evil))
    elif mode == "pickle-after-hello":
        sock.sendall(hello(os.urandom(32)) + envelope_frame(target, "x", evil))
    elif mode in ("wrong-secret", "reflect"):
        sock.sendall(hello(os.urandom(32)))
        challenge = read_frame(sock, 5)
        out["challenged"] = bool(challenge and challenge[:5] == MAGIC + b"\x02")
        if out["challenged"]:
            tag_r = challenge[5 + 32 :]
            if mode == "reflect":
                proof = tag_r
            else:
                proof = hmac.digest(os.urandom(32), b"initiator\0" + challenge, hashlib.sha256)
            sock.sendall(raw_frame(MAGIC + b"\x03" + proof))
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
    print(json.dumps(attack(json.loads(sys.stdin.read()))), flush=True)
