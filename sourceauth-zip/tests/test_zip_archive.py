"""sourceauth_zip.archive: which members become modules, and which archives are refused."""
from __future__ import annotations

import io
import zipfile

import pytest

from sourceauth_zip import archive
from sourceauth_zip.archive import ArchiveRefused, build_archive, read_modules


def test_modules_and_packages_by_dotted_name():
    mods = read_modules(build_archive({
        "top.py": "A = 1",
        "pkg/__init__.py": "B = 2",
        "pkg/sub/mod.py": "C = 3",  # pkg/sub has no __init__.py: an empty package
    }))
    assert sorted(mods) == ["pkg", "pkg.sub", "pkg.sub.mod", "top"]
    assert mods["pkg"].is_package and mods["pkg.sub"].is_package
    assert not mods["top"].is_package
    assert mods["pkg.sub.mod"].source == b"C = 3"
    assert mods["pkg.sub"].source == b""


def test_only_importable_py_files_are_used():
    mods = read_modules(build_archive({
        "keep.py": "",
        "keep.pyc": b"\x00compiled",
        "data/readme.txt": "text",
        "my-tool.py": "",
        "native.so": b"\x7fELF",
    }))
    assert sorted(mods) == ["keep"]


def test_windows_separators_are_read_as_posix():
    mods = read_modules(build_archive({"pkg\\mod.py": "X = 1"}))
    assert "pkg.mod" in mods


def test_not_a_zip():
    with pytest.raises(ArchiveRefused, match="not a zip archive"):
        read_modules(b"plain text, not an archive")


def test_not_bytes():
    with pytest.raises(ArchiveRefused, match="bytes"):
        read_modules("a string")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["../escape.py", "pkg/../../escape.py", "/etc/evil.py", "C:/evil.py", "pkg\\..\\..\\x.py"]
)
def test_zip_slip_paths_are_refused(name):
    with pytest.raises(ArchiveRefused, match="unsafe member path"):
        read_modules(build_archive({"ok.py": "", name: "X = 1"}))


def test_zip_slip_in_a_non_module_member_is_refused_too():
    with pytest.raises(ArchiveRefused, match="unsafe member path"):
        read_modules(build_archive({"ok.py": "", "../notes.txt": "x"}))


def test_too_many_members(monkeypatch):
    monkeypatch.setattr(archive, "MAX_MEMBERS", 3)
    with pytest.raises(ArchiveRefused, match="at most 3"):
        read_modules(build_archive({f"m{i}.py": "" for i in range(4)}))


def test_too_big_when_expanded(monkeypatch):
    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(ArchiveRefused, match="MAX_UNCOMPRESSED_BYTES"):
        read_modules(build_archive({"big.py": "#" * 1001}))


def test_declared_sizes_that_lie_are_refused(monkeypatch):
    # A member whose header claims it is small passes the declared-size check;
    # reading it must still refuse the archive, not load a truncated module.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("big.py", "#" * 5000)
    data = buf.getvalue()
    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED_BYTES", 4000)
    real_infolist = zipfile.ZipFile.infolist

    def lying_infolist(self):
        infos = real_infolist(self)
        for info in infos:
            info.file_size = 10
        return infos

    monkeypatch.setattr(zipfile.ZipFile, "infolist", lying_infolist)
    with pytest.raises(ArchiveRefused, match="cannot be read|MAX_UNCOMPRESSED_BYTES"):
        read_modules(data)


def test_default_limits_are_documented_constants():
    assert archive.MAX_MEMBERS == 10_000
    assert archive.MAX_UNCOMPRESSED_BYTES == 64 * 1024 * 1024


def test_an_archive_without_modules_is_refused():
    with pytest.raises(ArchiveRefused, match="no Python modules"):
        read_modules(build_archive({"readme.txt": "nothing to run"}))


def test_module_and_package_of_one_name_is_refused():
    with pytest.raises(ArchiveRefused, match="both a module"):
        read_modules(build_archive({"pkg.py": "", "pkg/mod.py": ""}))
