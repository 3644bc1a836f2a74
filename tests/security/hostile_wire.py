"""What the hostile peers share (``hostile.py`` speaks TCP, ``hostile_udp.py``
UDP): the pickle that gives itself away, the address envelope both transports
carry, the handshake's first messages and the way they are run. Plain
standard library, written from the protocol description, so that it depends
on nothing of ours: the peers import it under ``-I -S``."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
import sys
from typing import Callable

HS_MAGIC = b"ACH1"


class Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # unpickling this creates the marker file
        return (open, (self.marker, "w"))


def envelope(target: str, sender: str, data: bytes) -> bytes:
    """``!I`` length, ``!HH`` address lengths, the addresses, then the data."""
    t, s = target.encode(), sender.encode()
    return struct.pack("!IHH", len(t) + len(s) + len(data) + 4, len(t), len(s)) + t + s + data


def hs_hello(context: bytes, nonce: bytes | None = None) -> bytes:
    """The handshake's first message: magic, version 1, the transport's context, a nonce."""
    return HS_MAGIC + bytes((1, len(context))) + context + (nonce or os.urandom(32))


def guessed_proof(challenge: bytes) -> bytes:
    """The initiator's proof for ``challenge``, made with a key that is not the secret."""
    return HS_MAGIC + b"\x03" + hmac.digest(os.urandom(32), b"initiator\0" + challenge, hashlib.sha256)


def run(attack: Callable[[dict], dict]) -> None:
    """One JSON command on stdin, one JSON answer on stdout."""
    print(json.dumps(attack(json.loads(sys.stdin.read()))), flush=True)
