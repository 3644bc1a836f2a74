"""docs/big-messages.md: big buffers between the processes of one host.

Round trips run on every base (a base without ``shared_memory`` streams
them); what proves the shared-memory path, and that nothing of it is left
in /dev/shm, runs on the bases that declare ``shared_memory``.
"""
from __future__ import annotations

import os
import signal

import pytest

from actorcore.actors import PoisonMessage, Thespian_StatusReq
from actorcore.testing import capabilities_for, require, running_system, until

from . import conventions
from .actors.bigmsgs import (
    BigEcho,
    GpuBigEcho,
    Holder,
    Mutator,
    Relay,
    Spammer,
    counts,
    digest,
    payload,
)
from .conventions import members_heard, watcher
from .helpers import WAIT

MiB = 1 << 20
systems = conventions.systems  # the fixture: systems in a convention, all shut down after a test
KINDS = {"bytes": bytes, "bytearray": bytearray, "memoryview": memoryview}


def shm_dir(asys) -> str:
    from actorcore._core.runtime import shmem

    return shmem.directory(asys.systemAddress.addressDetails)


def files(asys) -> list[str]:
    """The buffer files in the system's directory (not the admin's own file)."""
    try:
        return [n for n in os.listdir(shm_dir(asys)) if not n.startswith("a-")]
    except FileNotFoundError:
        return []


def uses_shm(info) -> bool:
    return bool(info.shared_memory)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_client_round_trip_1mib(asys, asys_info, kind):
    data = payload(MiB)
    before = counts()
    reply = asys.ask(asys.createActor(BigEcho), KINDS[kind](data), WAIT)
    assert type(reply) is KINDS[kind]
    assert bytes(reply) == data
    if uses_shm(asys_info):
        after = counts()
        assert after["written"] == before["written"] + 1, "the request did not go through /dev/shm"
        assert after["claimed"] == before["claimed"] + 1, "the reply did not come through /dev/shm"
        assert files(asys) == []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_actor_to_actor_round_trip_1mib(asys, asys_info, kind):
    echo = asys.createActor(BigEcho)
    ok, got, relay_counts = asys.ask(asys.createActor(Relay), ("via", echo, MiB, kind), WAIT)
    assert ok is True and got == kind
    if uses_shm(asys_info):
        assert relay_counts == {"written": 1, "claimed": 1}
        assert asys.ask(echo, "counts?", WAIT) == {"written": 1, "claimed": 1}
        assert files(asys) == []


def test_small_messages_stream(asys, asys_info):
    require(asys_info, "shared_memory")
    echo = asys.createActor(BigEcho)
    before = counts()
    assert asys.ask(echo, payload(100 * 1024), WAIT) == payload(100 * 1024)
    assert counts() == before


def test_received_memoryview_keeps_its_format(asys):
    data = memoryview(bytearray(payload(MiB))).cast("I")
    name, module, got = asys.ask(asys.createActor(BigEcho), ("kind", data), WAIT)
    assert (name, got) == ("memoryview", digest(data))


def test_numpy_round_trip(asys, asys_info):
    np = pytest.importorskip("numpy")
    arr = np.arange(MiB // 8, dtype=np.float64).reshape(512, -1)
    before = counts()
    reply = asys.ask(asys.createActor(BigEcho), arr, WAIT)
    assert isinstance(reply, np.ndarray) and reply.dtype == arr.dtype and reply.shape == arr.shape
    assert (reply == arr).all()
    if uses_shm(asys_info):
        assert counts()["claimed"] == before["claimed"] + 1


@pytest.mark.requires("copies_messages", reason="the receiver gets a copy")
def test_mutating_after_send_is_not_seen(asys):
    holder = asys.createActor(Holder)
    buf = bytearray(payload(MiB, 5))
    want = digest(buf)
    asys.tell(holder, buf)
    buf[:] = b"\0" * MiB  # the rule: what was sent is what was copied at send
    assert asys.ask(asys.createActor(Mutator), ("mutate", holder, MiB), WAIT) == "sent"
    # Order holds per sender: the Mutator's buffer may reach the holder after
    # this program's own ask (rayBase batches an actor's sends), so wait for it.
    until(lambda: asys.ask(holder, "count?", WAIT) == 2, WAIT)
    assert asys.ask(holder, "digests?", WAIT) == [want, digest(payload(MiB, 3))]


@pytest.mark.requires("copies_messages", reason="the receiver gets a copy")
def test_mutating_numpy_after_send_is_not_seen(asys):
    np = pytest.importorskip("numpy")
    holder = asys.createActor(Holder)
    arr = np.ones(MiB, dtype=np.uint8)
    want = digest(arr.tobytes())
    asys.tell(holder, memoryview(arr))
    arr[:] = 0
    assert asys.ask(holder, "digests?", WAIT) == [want]


def _big_system(info, **more):
    caps = capabilities_for(info)
    if "Max Message Size" in info.capabilities:
        caps["Max Message Size"] = 256 * MiB
    caps.update(more)
    return running_system(info.name, caps, limit=0)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_64mib_round_trip(asys_info, kind):
    require(asys_info, "shared_memory")
    data = payload(64 * MiB, 9)
    with _big_system(asys_info) as asys:
        before = counts()
        reply = asys.ask(asys.createActor(BigEcho), KINDS[kind](data), WAIT * 3)
        assert type(reply) is KINDS[kind] and bytes(reply) == data
        assert counts()["written"] == before["written"] + 1
        assert files(asys) == []
    assert not os.path.exists(shm_dir(asys))


def test_64mib_is_held_at_most_twice_by_its_receiver(asys_info):
    require(asys_info, "shared_memory")
    data = payload(64 * MiB, 4)
    with _big_system(asys_info) as asys:
        echo = asys.createActor(BigEcho)
        before = asys.ask(echo, "peak?", WAIT)
        for _ in range(3):  # none of them may stay behind once answered
            assert asys.ask(echo, data, WAIT * 3) == data
        grew = asys.ask(echo, "peak?", WAIT) - before
        # the mapping and the bytes made from it; a few MiB of slack for the rest
        assert grew <= 2 * 64 * MiB + 8 * MiB, f"the echo's peak RSS grew by {grew >> 20} MiB"


def test_64mib_numpy_round_trip(asys_info):
    require(asys_info, "shared_memory")
    np = pytest.importorskip("numpy")
    arr = np.frombuffer(payload(64 * MiB, 2), dtype=np.uint32)
    with _big_system(asys_info) as asys:
        reply = asys.ask(asys.createActor(BigEcho), arr, WAIT * 3)
        assert (reply == arr).all()


def test_over_max_message_size_comes_back_as_poison(asys_info):
    require(asys_info, "shared_memory")
    if "Max Message Size" not in asys_info.capabilities:
        pytest.skip(f"{asys_info.name} has no Max Message Size capability")
    with _big_system(asys_info, **{"Max Message Size": MiB}) as asys:
        echo = asys.createActor(BigEcho)
        before = counts()
        reply = asys.ask(echo, payload(2 * MiB), WAIT)
        assert isinstance(reply, PoisonMessage)
        assert "Max Message Size" in reply.details
        poison, details, relay_counts = asys.ask(
            asys.createActor(Relay), ("via", echo, 2 * MiB, "bytes"), WAIT)
        assert poison == "poison" and "Max Message Size" in details
        assert relay_counts["written"] == 0
        assert counts()["written"] == before["written"]
        assert files(asys) == []
        # under the limit, the same path works
        assert asys.ask(echo, payload(MiB // 2), WAIT) == payload(MiB // 2)


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def test_receiver_killed_with_unread_buffers_leaves_nothing(asys, asys_info):
    require(asys_info, "shared_memory")
    holder = asys.createActor(Holder)
    pid = asys.ask(holder, "pid?", WAIT)
    asys.tell(holder, ("sleep", 60))
    for i in range(4):
        asys.tell(holder, payload(MiB, i))
    until(lambda: len(files(asys)) == 4, WAIT)  # all four wait, unclaimed, for the sleeper
    _kill(pid)
    assert until(lambda: files(asys) == [], WAIT), files(asys)


def test_receiver_killed_holding_a_mapping_leaves_nothing(asys, asys_info):
    require(asys_info, "shared_memory")
    holder = asys.createActor(Holder)
    asys.tell(holder, memoryview(payload(MiB)))
    assert asys.ask(holder, "count?", WAIT) == 1
    assert files(asys) == []  # claimed and unlinked while its mapping is in use
    _kill(asys.ask(holder, "pid?", WAIT))
    assert files(asys) == []


def test_sender_killed_after_sending_its_buffers_still_arrive(asys, asys_info):
    require(asys_info, "shared_memory")
    holder = asys.createActor(Holder)
    asys.tell(holder, ("sleep", 2))
    spammer = asys.createActor(Spammer)
    pid = asys.ask(spammer, ("spam", holder, 3, MiB), WAIT)
    _kill(pid)
    want = [digest(payload(MiB, i)) for i in range(3)]
    assert until(lambda: asys.ask(holder, "digests?", WAIT) == want, WAIT * 2)
    assert files(asys) == []


def test_shutdown_removes_the_directory(asys_info):
    require(asys_info, "shared_memory")
    with running_system(asys_info.name, capabilities_for(asys_info), limit=0) as asys:
        holder = asys.createActor(Holder)
        asys.tell(holder, ("sleep", 60))
        for i in range(3):
            asys.tell(holder, payload(MiB, i))
        until(lambda: len(files(asys)) == 3, WAIT)
        where = shm_dir(asys)
    assert not os.path.exists(where)


def test_unix_directory_is_private(asys, asys_info):
    require(asys_info, "shared_memory")
    st = os.stat(shm_dir(asys))
    assert st.st_mode & 0o777 == 0o700 and st.st_uid == os.geteuid()


def test_big_messages_to_another_system_stream(systems, asys_info):
    """Another member may be on another host: big messages to and from an
    actor placed there stream, from a client and from an actor alike."""
    require(asys_info, "shared_memory")
    leader = systems.start()
    w = watcher(leader)
    member = systems.start({"gpu": True}, leader=leader.capabilities["Admin Port"])
    members_heard(leader, w, 1)
    far = leader.createActor(GpuBigEcho)
    data = payload(MiB, 8)
    before = counts()
    assert leader.ask(far, data, WAIT) == data
    assert counts() == before, "a message to or from another system went through /dev/shm"
    assert leader.ask(far, "counts?", WAIT) == {"written": 0, "claimed": 0}
    ok, got, relay_counts = leader.ask(leader.createActor(Relay), ("via", far, MiB, "bytes"), WAIT)
    assert ok is True and relay_counts == {"written": 0, "claimed": 0}
    assert files(leader) == [] and files(member) == []


def test_big_messages_to_a_child_placed_on_another_system_leave_shared_memory(systems, asys_info):
    """A child placed on another member keeps an address of its parent's
    system: the parent writes its buffers to shared memory as for any actor
    of its system, and the admin puts them into the frame on the way."""
    require(asys_info, "shared_memory")
    leader = systems.start()
    w = watcher(leader)
    member = systems.start({"gpu": True}, leader=leader.capabilities["Admin Port"])
    members_heard(leader, w, 1)
    ok, got, relay_counts = leader.ask(leader.createActor(Relay), ("via", None, MiB, "memoryview"), WAIT)
    assert ok is True and got == "memoryview"
    assert relay_counts == {"written": 1, "claimed": 0}
    assert files(leader) == [] and files(member) == []


def test_a_forged_frame_is_refused_and_the_actor_carries_on(asys, asys_info):
    """A kind-3 frame naming a file outside the pattern (here: written into the
    transport below the API, as only a peer holding the secret could) is
    refused with a log; the actor goes on, and nothing outside is touched."""
    require(asys_info, "shared_memory")
    from actorcore._core.runtime import wire

    echo = asys.createActor(BigEcho)
    target = echo.addressDetails
    me = asys._endpoint.address.addressDetails  # below the API, on purpose
    sysid = asys.systemAddress.addressDetails
    decoy = os.path.join(os.path.dirname(shm_dir(asys)), f"actorcore-decoy-{os.urandom(4).hex()}")
    with open(decoy, "wb") as fh:
        fh.write(b"d" * MiB)
    try:
        head = f"{sysid}\nb{MiB} ../{os.path.basename(decoy)}".encode()
        forged = wire._BUFS.pack(3, len(head)) + head + wire.dumps("x")
        asys._base.transport.send(target, (target, me, forged))
        assert asys.ask(echo, "pid?", WAIT) > 0  # still there, still answering
        assert os.path.getsize(decoy) == MiB  # never claimed, moved or removed
    finally:
        os.unlink(decoy)
    assert asys.ask(echo, payload(MiB), WAIT) == payload(MiB)
    assert files(asys) == []


def test_a_killed_admins_directory_goes_with_the_next_system(asys_info, tmp_path, monkeypatch):
    """An admin killed with SIGKILL cannot remove its directory; the next
    system started on this host (or the exit of a program that used it) does.
    The test's systems keep their directories in a folder of its own (their
    processes are forked from the test, so they inherit it): a system another
    test starts meanwhile, beside this one, would otherwise sweep the
    directory before the test looks."""
    require(asys_info, "shared_memory", "forks")
    from actorcore._core.runtime import shmem

    monkeypatch.setattr(shmem, "ROOT", str(tmp_path))
    with running_system(asys_info.name, capabilities_for(asys_info), limit=0) as first:
        where = shm_dir(first)
        pid = first.ask(first.systemAddress, Thespian_StatusReq(), WAIT).miscKeyVals["pid"]
        _kill(pid)
        until(lambda: not shmem._alive(pid), WAIT)
        assert os.path.isdir(where)
        with running_system(asys_info.name, capabilities_for(asys_info), limit=0):
            assert not os.path.exists(where)
