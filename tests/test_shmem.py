"""actorcore._core.runtime.shmem and the kind-3/4 frames of wire.py (docs/big-messages.md)."""
from __future__ import annotations

import os
import pickle
import stat

import pytest

from actorcore._core.runtime import shmem, wire

MiB = 1 << 20


@pytest.fixture
def space(tmp_path, monkeypatch):
    """A system directory under a private root, removed afterwards."""
    monkeypatch.setattr(shmem, "ROOT", str(tmp_path))
    sysid = f"T{os.urandom(4).hex()}"
    made = shmem.create(sysid)
    assert made is not None
    yield made
    shmem.remove(sysid)
    assert not os.path.exists(shmem.directory(sysid))


def sharing(space, limit=None):
    sysid = space.sysid
    return wire.Sharing(space, (f"{sysid}/", f"{sysid}+"), limit, f"{sysid}+1")


@pytest.mark.parametrize("name", [
    "s-12-0123456789ab-0123456789abcdef",
    "s-1-ffffffffffff-0000000000000000",
])
def test_names_of_sent_buffers_pass(name):
    assert shmem.check_name(name) == name


@pytest.mark.parametrize("name", [
    "../s-12-0123456789ab-0123456789abcdef",
    "s-12-0123456789ab-0123456789abcdef/..",
    "s-12-0123456789ab-0123456789abcdeF",
    "s-12-0123456789ab-0123456789abcdef\n",
    "c-12-0123456789abcdef",
    "/etc/passwd",
    "",
    b"s-12-0123456789ab-0123456789abcdef",
])
def test_other_names_are_refused(name):
    with pytest.raises(shmem.BadName):
        shmem.check_name(name)


def test_directory_is_private(space):
    st = os.stat(shmem.directory(space.sysid))
    assert stat.S_IMODE(st.st_mode) == 0o700


def test_join_refuses_a_directory_others_can_enter(tmp_path, monkeypatch):
    monkeypatch.setattr(shmem, "ROOT", str(tmp_path))
    os.mkdir(shmem.directory("Topen"), 0o755)
    os.chmod(shmem.directory("Topen"), 0o755)
    assert shmem.join("Topen") is None


def test_join_needs_the_admins_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(shmem, "ROOT", str(tmp_path))
    assert shmem.join("Tnowhere") is None  # another host's system: it streams


def test_write_then_claim(space):
    data = os.urandom(100_000)
    [name] = space.write([memoryview(data)], "Tx/1")
    assert space.names() == [name]
    mapped = space.claim(name, len(data))
    assert bytes(mapped) == data
    assert space.names() == []  # claimed means unlinked; the mapping lives on


def test_claim_checks_the_announced_size(space):
    [name] = space.write([memoryview(b"x" * 5000)], "Tx/1")
    with pytest.raises(shmem.BadName):
        space.claim(name, 4000)
    assert space.names() == []


def test_claim_refuses_names_outside_the_pattern(space):
    secret = os.path.join(os.path.dirname(shmem.directory(space.sysid)), "secret")
    with open(secret, "wb") as fh:
        fh.write(b"k" * 10)
    with pytest.raises(shmem.BadName):
        space.claim("../secret", 10)
    assert os.path.exists(secret)


def test_a_symlink_is_never_followed(space):
    outside = os.path.join(os.path.dirname(shmem.directory(space.sysid)), "target")
    with open(outside, "wb") as fh:
        fh.write(b"k" * 10)
    name = "s-1-0123456789ab-0123456789abcdef"
    os.symlink(outside, os.path.join(shmem.directory(space.sysid), name))
    with pytest.raises(OSError):
        space.claim(name, 10)
    assert open(outside, "rb").read() == b"k" * 10


def test_sweep_by_target_and_by_claimer(space):
    space.write([memoryview(b"a" * 10)], "Tx/1")
    theirs = space.write([memoryview(b"b" * 10)], "Tx/2")
    claimed = "c-424242-0123456789abcdef"
    open(os.path.join(shmem.directory(space.sysid), claimed), "wb").close()
    assert space.sweep(pid=None, target="Tx/1") == 1
    assert sorted(space.names()) == sorted(theirs + [claimed])
    assert space.sweep(pid=424242) == 1
    assert space.names() == theirs


def test_a_clients_endpoints_share_a_target_key():
    assert shmem.target_key("Tx+3:1") == shmem.target_key("Tx+3:7") != shmem.target_key("Tx+4:1")


def test_big_message_for_this_system_goes_as_kind_3(space):
    msg = {"a": os.urandom(MiB), "b": bytearray(os.urandom(MiB)), "n": 5}
    data = wire.dumps(msg, sharing(space), f"{space.sysid}/1")
    assert data[0] == 3 and len(data) < 1000
    assert len(space.names()) == 2
    assert wire.loads(data) == msg
    assert space.names() == []


def test_small_or_foreign_messages_stay_plain_pickles(space):
    small = {"a": os.urandom(100_000)}
    assert wire.dumps(small, sharing(space), f"{space.sysid}/1") == pickle.dumps(small, wire.PROTOCOL)
    big = os.urandom(MiB)
    assert wire.dumps(big, sharing(space), "Tother/1") == pickle.dumps(big, wire.PROTOCOL)
    assert wire.dumps(big, None, f"{space.sysid}/1") == pickle.dumps(big, wire.PROTOCOL)
    assert space.names() == []


def test_over_the_limit_it_streams_to_be_refused(space):
    big = os.urandom(MiB)
    data = wire.dumps(big, sharing(space, limit=MiB), f"{space.sysid}/1")
    assert data[0] == 0x80
    assert wire.oversize(data, f"{space.sysid}/1", "me", MiB) is not None
    assert space.names() == []


def test_the_copy_is_made_at_send(space):
    buf = bytearray(b"a" * MiB)
    data = wire.dumps(buf, sharing(space), f"{space.sysid}/1")
    buf[:] = b"b" * MiB
    assert wire.loads(data) == bytearray(b"a" * MiB)


def test_memoryview_arrives_over_the_mapping(space):
    view = memoryview(bytearray(os.urandom(MiB))).cast("d")
    got = wire.loads(wire.dumps(view, sharing(space), f"{space.sysid}/1"))
    assert isinstance(got, memoryview) and got.format == "d" and got.tobytes() == view.tobytes()


def test_memoryview_streams_where_plain_pickle_refuses_it():
    view = memoryview(b"xyz" * 10)
    got = wire.loads(wire.dumps(view))
    assert isinstance(got, memoryview) and got.tobytes() == b"xyz" * 10


def test_ask_reply_keeps_its_token(space):
    from actorcore._core.asyncactor import AskReply

    reply = AskReply(77, os.urandom(MiB))
    got = wire.loads(wire.dumps(reply, sharing(space), f"{space.sysid}+2:1"))
    assert isinstance(got, AskReply) and got.token == 77 and got.message == reply.message


def test_inline_carries_the_buffers_in_the_frame(space):
    msg = (os.urandom(MiB), memoryview(os.urandom(MiB)))
    data = wire.dumps(msg, sharing(space), f"{space.sysid}/1")
    moved = wire.inline(data)
    assert moved[0] == 4 and space.names() == []
    got = wire.loads(moved)
    assert got[0] == msg[0] and bytes(got[1]) == bytes(msg[1])


def test_a_frame_naming_a_foreign_file_is_refused(space):
    data = wire.dumps(os.urandom(MiB), sharing(space), f"{space.sysid}/1")
    [real] = space.names()
    forged = data.replace(real.encode(), b"../../../../etc/passwd"[: len(real)].ljust(len(real), b"x"))
    with pytest.raises(shmem.BadName):
        wire.loads(forged)
    assert space.names() == [real]  # not ours to remove: its own frame may still come
    wire.discard(data)
    assert space.names() == []


def test_a_frame_of_a_system_not_joined_is_refused(space):
    data = wire.dumps(os.urandom(MiB), sharing(space), f"{space.sysid}/1")
    other = data.replace(space.sysid.encode(), b"Tzzzzzzzz")
    with pytest.raises(shmem.BadName):
        wire.loads(other)
    wire.discard(data)


def test_a_missing_file_fails_the_message_and_removes_the_rest(space):
    msg = (os.urandom(MiB), os.urandom(MiB))
    data = wire.dumps(msg, sharing(space), f"{space.sysid}/1")
    first = wire.shared_names(data)[0]
    os.unlink(os.path.join(shmem.directory(space.sysid), first))
    with pytest.raises(FileNotFoundError):
        wire.loads(data)
    assert space.names() == []


def test_numpy_arrays_use_the_mapping(space):
    np = pytest.importorskip("numpy")
    arr = np.arange(MiB, dtype=np.int64)
    got = wire.loads(wire.dumps(arr, sharing(space), f"{space.sysid}/1"))
    assert (got == arr).all()
    assert got.base is not None and not got.flags.owndata  # a view over the mapping, not a copy


@pytest.mark.parametrize("kind", ["b", "a"])
def test_short_reads_are_read_on(kind):
    r, w = os.pipe()
    try:
        os.write(w, b"abc")
        os.set_blocking(r, True)
        import threading

        more = threading.Timer(0.05, lambda: os.write(w, b"defg"))
        more.start()
        got = shmem._read_all(r, 7, kind)
        more.join()
    finally:
        os.close(r)
        os.close(w)
    assert got == b"abcdefg" and type(got) is (bytes if kind == "b" else bytearray)


def test_reap_removes_only_directories_of_dead_admins(tmp_path, monkeypatch):
    monkeypatch.setattr(shmem, "ROOT", str(tmp_path))
    ns = shmem._pid_namespace()
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    made = {}
    for sysid, pid, their_ns in [("Tdead", dead, ns), ("Tlive", os.getpid(), ns),
                                 ("Tother", dead, ns + 1), ("Tnomark", None, ns)]:
        path = shmem.directory(sysid)
        os.mkdir(path, 0o700)
        if pid is not None:
            open(os.path.join(path, f"a-{pid}-{their_ns}"), "wb").close()
        open(os.path.join(path, "s-1-0123456789ab-0123456789abcdef"), "wb").close()
        made[sysid] = path
    assert shmem.reap() == 1
    assert not os.path.exists(made["Tdead"])
    # a live admin, one of another pid namespace, one not yet marked: kept
    assert all(os.path.isdir(made[s]) for s in ("Tlive", "Tother", "Tnomark"))
