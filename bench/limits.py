"""Physical limits of this machine, with plain Python and no actor system.

A small pickled message ping-ponged between two processes over loopback
TCP, loopback UDP, ``multiprocessing.Pipe`` and ``multiprocessing.Queue``
(median and p99 round trip in µs); the same over TCP, a Unix stream socket,
UDP and a Pipe with
both ends waiting the way actorcore's runtime waits (``-spin``: polling
without sleeping for up to ``ACTORCORE_SPIN_US`` µs, default 150, while
messages flow, then sleeping in poll), which is the honest limit for the
multiprocess bases, since a blocking loop pays the kernel's wake-up on every
hop; a 1 MiB payload echoed over loopback TCP (MB/s, both directions
counted, like the ``bigmsg`` workload); and an in-process method dispatch
loop (calls/s), the ceiling for the simple base. Every round-trip line also
says the CPU both processes used, in seconds per 10,000 messages
(``cpu_s_per_10k``), so a faster figure bought with a spinning core shows.

``python bench/limits.py [--quick]`` prints one JSON line per limit.  Only
127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pickle
import select
import socket
import statistics
import struct
import time
from typing import Any, Callable

ctx = mp.get_context("fork")  # Linux; the cheapest way to get a peer process
HDR = struct.Struct("!I")
MSG = ("ping", 12345, "payload")  # "small": a tuple the size of a typical actor message
BIG = 1 << 20


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = s.recv_into(view[got:], n - got)
        if not k:
            raise EOFError
        got += k
    return bytes(buf)


def _tcp_send(s: socket.socket, obj: bytes) -> None:
    s.sendall(HDR.pack(len(obj)) + obj)


def _tcp_recv(s: socket.socket) -> bytes:
    (n,) = HDR.unpack(_recv_exact(s, HDR.size))
    return _recv_exact(s, n)


def _tcp_echo_server(lsock: socket.socket) -> None:
    conn, _ = lsock.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = _tcp_recv(conn)
            obj = pickle.loads(data)  # unpickle and re-pickle, as an actor transport must
            _tcp_send(conn, pickle.dumps(obj))
    except (EOFError, OSError):
        pass


def _nodelay(s: socket.socket) -> None:
    if s.family != socket.AF_UNIX:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _tcp_pair(server: Callable[[socket.socket], None] = _tcp_echo_server,
              family: int = socket.AF_INET) -> tuple[socket.socket, Any]:
    lsock = socket.socket(family, socket.SOCK_STREAM)
    # AF_UNIX: an abstract name (Linux), so no file is left behind
    lsock.bind(("127.0.0.1", 0) if family == socket.AF_INET else f"\0actorcore-limits-{os.getpid()}")
    lsock.listen(1)
    proc = ctx.Process(target=server, args=(lsock,), daemon=True)
    proc.start()
    c = socket.socket(family, socket.SOCK_STREAM)
    c.connect(lsock.getsockname())
    _nodelay(c)
    lsock.close()
    return c, proc


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Samples(list):  # type: ignore[type-arg]
    """Round trips in µs, and the CPU seconds both ends used meanwhile."""

    cpu_s: float | None = None


def _roundtrips(one: Callable[[], None], n: int, peer: int | None = None) -> Samples:
    for _ in range(min(200, n)):  # warm-up
        one()
    out = Samples()
    clock = time.perf_counter_ns
    cpu0 = _cpu(os.getpid()) + (_cpu(peer) if peer else 0.0)
    for _ in range(n):
        t = clock()
        one()
        out.append((clock() - t) / 1000)
    out.cpu_s = _cpu(os.getpid()) + (_cpu(peer) if peer else 0.0) - cpu0
    return out


def _spin_budget() -> float:
    try:
        return max(0.0, float(os.environ.get("ACTORCORE_SPIN_US", "150"))) / 1e6
    except ValueError:
        return 150e-6


class _SpinWait:
    """Waits for one descriptor as actorcore's runtime waits for its own
    (actorcore/_core/runtime/poller.py, written again here so that this file
    needs no actorcore): while messages came less than 2 ms ago, poll without
    sleeping (yielding the CPU between polls) for up to the spin budget, then
    sleep in poll."""

    def __init__(self, fd: int) -> None:
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN)
        self._spin = _spin_budget()
        self._last = 0.0

    def wait(self) -> None:
        poll = self._poll.poll
        now = time.perf_counter()
        if self._spin and now - self._last < 0.002:
            end = now + self._spin
            while not poll(0):
                if time.perf_counter() >= end:
                    break
                os.sched_yield()
            else:
                self._last = time.perf_counter()
                return
        poll(None)
        self._last = time.perf_counter()


def limit_tcp(n: int) -> list[float]:
    c, proc = _tcp_pair()
    try:

        def one() -> None:
            _tcp_send(c, pickle.dumps(MSG))
            pickle.loads(_tcp_recv(c))

        return _roundtrips(one, n, proc.pid)
    finally:
        c.close()
        proc.join(5)


def _tcp_spin_echo(lsock: socket.socket) -> None:
    conn, _ = lsock.accept()
    _nodelay(conn)
    waiter = _SpinWait(conn.fileno())
    try:
        while True:
            waiter.wait()
            _tcp_send(conn, pickle.dumps(pickle.loads(_tcp_recv(conn))))
    except (EOFError, OSError):
        pass


def limit_tcp_spin(n: int, family: int = socket.AF_INET) -> Samples:
    c, proc = _tcp_pair(_tcp_spin_echo, family)
    waiter = _SpinWait(c.fileno())
    try:

        def one() -> None:
            _tcp_send(c, pickle.dumps(MSG))
            waiter.wait()
            pickle.loads(_tcp_recv(c))

        return _roundtrips(one, n, proc.pid)
    finally:
        c.close()
        proc.join(5)


def limit_unix_spin(n: int) -> Samples:
    """limit-tcp-spin over a Unix stream socket: what local peers could use instead."""
    return limit_tcp_spin(n, socket.AF_UNIX)


def _udp_echo_server(s: socket.socket) -> None:
    while True:
        data, addr = s.recvfrom(65536)
        if data == b"stop":
            return
        s.sendto(pickle.dumps(pickle.loads(data)), addr)


def limit_udp(n: int) -> list[float]:
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    proc = ctx.Process(target=_udp_echo_server, args=(srv,), daemon=True)
    proc.start()
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind(("127.0.0.1", 0))
    addr = srv.getsockname()
    try:

        def one() -> None:
            c.sendto(pickle.dumps(MSG), addr)
            pickle.loads(c.recvfrom(65536)[0])

        return _roundtrips(one, n, proc.pid)
    finally:
        c.sendto(b"stop", addr)
        proc.join(5)
        c.close()
        srv.close()


def _udp_spin_echo(s: socket.socket) -> None:
    waiter = _SpinWait(s.fileno())
    while True:
        waiter.wait()
        data, addr = s.recvfrom(65536)
        if data == b"stop":
            return
        s.sendto(pickle.dumps(pickle.loads(data)), addr)


def limit_udp_spin(n: int) -> Samples:
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    proc = ctx.Process(target=_udp_spin_echo, args=(srv,), daemon=True)
    proc.start()
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind(("127.0.0.1", 0))
    addr = srv.getsockname()
    waiter = _SpinWait(c.fileno())
    try:

        def one() -> None:
            c.sendto(pickle.dumps(MSG), addr)
            waiter.wait()
            pickle.loads(c.recvfrom(65536)[0])

        return _roundtrips(one, n, proc.pid)
    finally:
        c.sendto(b"stop", addr)
        proc.join(5)
        c.close()
        srv.close()


def _pipe_echo(conn: Any) -> None:
    while True:
        obj = conn.recv()
        if obj is None:
            return
        conn.send(obj)


def limit_pipe(n: int) -> list[float]:
    a, b = ctx.Pipe()
    proc = ctx.Process(target=_pipe_echo, args=(b,), daemon=True)
    proc.start()
    try:

        def one() -> None:
            a.send(MSG)
            a.recv()

        return _roundtrips(one, n, proc.pid)
    finally:
        a.send(None)
        proc.join(5)


def _pipe_spin_echo(conn: Any) -> None:
    waiter = _SpinWait(conn.fileno())
    while True:
        waiter.wait()
        obj = conn.recv()
        if obj is None:
            return
        conn.send(obj)


def limit_pipe_spin(n: int) -> Samples:
    a, b = ctx.Pipe()
    proc = ctx.Process(target=_pipe_spin_echo, args=(b,), daemon=True)
    proc.start()
    waiter = _SpinWait(a.fileno())
    try:

        def one() -> None:
            a.send(MSG)
            waiter.wait()
            a.recv()

        return _roundtrips(one, n, proc.pid)
    finally:
        a.send(None)
        proc.join(5)


def _queue_echo(qin: Any, qout: Any) -> None:
    while True:
        obj = qin.get()
        if obj is None:
            return
        qout.put(obj)


def limit_queue(n: int) -> list[float]:
    qin, qout = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=_queue_echo, args=(qin, qout), daemon=True)
    proc.start()
    try:

        def one() -> None:
            qin.put(MSG)
            qout.get()

        return _roundtrips(one, n, proc.pid)
    finally:
        qin.put(None)
        proc.join(5)


def _tcp_raw_echo(lsock: socket.socket) -> None:
    conn, _ = lsock.accept()
    try:
        while True:
            _tcp_send(conn, _tcp_recv(conn))  # bytes as they are: the pure copy cost
    except (EOFError, OSError):
        pass


def limit_tcp_big(n: int) -> dict[str, float]:
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    proc = ctx.Process(target=_tcp_raw_echo, args=(lsock,), daemon=True)
    proc.start()
    c = socket.create_connection(lsock.getsockname())
    lsock.close()
    payload = bytes(BIG)
    try:
        _tcp_send(c, payload)
        _tcp_recv(c)
        t = time.perf_counter()
        for _ in range(n):
            _tcp_send(c, payload)
            _tcp_recv(c)
        elapsed = time.perf_counter() - t
    finally:
        c.close()
        proc.join(5)
    return {"MBps": 2 * n * BIG / elapsed / 1e6, "n": n}


class _Target:
    def receiveMessage(self, msg: Any, sender: Any) -> None:
        pass


def limit_dispatch(n: int) -> dict[str, float]:
    """A plain loop of bound-method calls: what one thread can do at best."""
    recv = _Target().receiveMessage
    t = time.perf_counter()
    for i in range(n):
        recv(i, None)
    return {"calls_per_s": n / (time.perf_counter() - t), "n": n}


def _rt_line(name: str, samples: Samples) -> dict[str, Any]:
    cpu = samples.cpu_s
    samples.sort()
    med = statistics.median(samples)
    return {
        "workload": name,
        "metric": "round trip median",
        "unit": "us",
        "value": med,
        "extra": {
            "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "round_trips_per_s": 1e6 / med,
            "n": len(samples),
            # a round trip is two messages
            "cpu_s_per_10k": None if cpu is None else cpu * 10_000 / (2 * len(samples)),
            "spin_us": _spin_budget() * 1e6 if name.endswith("-spin") else 0,
        },
    }


def measure(quick: bool = False) -> list[dict[str, Any]]:
    n = 1000 if quick else 10000
    lines = [
        _rt_line("limit-tcp", limit_tcp(n)),
        _rt_line("limit-udp", limit_udp(n)),
        _rt_line("limit-pipe", limit_pipe(n)),
        _rt_line("limit-queue", limit_queue(n)),
        _rt_line("limit-tcp-spin", limit_tcp_spin(n)),
        _rt_line("limit-unix-spin", limit_unix_spin(n)),
        _rt_line("limit-udp-spin", limit_udp_spin(n)),
        _rt_line("limit-pipe-spin", limit_pipe_spin(n)),
    ]
    big = limit_tcp_big(20 if quick else 200)
    lines.append(
        {
            "workload": "limit-tcp-1mib",
            "metric": "1 MiB echo",
            "unit": "MB/s",
            "value": big["MBps"],
            "extra": {"n": big["n"], "directions": 2},
        }
    )
    d = limit_dispatch(200_000 if quick else 2_000_000)
    lines.append(
        {
            "workload": "limit-dispatch",
            "metric": "in-process method calls",
            "unit": "calls/s",
            "value": d["calls_per_s"],
            "extra": {"n": d["n"]},
        }
    )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description="physical limits (no actor system)")
    ap.add_argument("--quick", action="store_true")
    for line in measure(ap.parse_args().quick):
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
