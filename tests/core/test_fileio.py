"""The one atomic-write helper: Windows' transient locks, no leftovers, private files, and JSON
files a person edited (byte-order mark, where a syntax error is)."""

from __future__ import annotations

import os
import stat

import pytest

from fidus_desktop import fileio


def windows_error(winerror: int) -> OSError:
    """What ``os.replace`` raises on Windows while a scanner or Excel holds the file."""
    exc = PermissionError(13, "The process cannot access the file because it is being used by another process")
    exc.winerror = winerror  # type: ignore[attr-defined]  # set by CPython on Windows only
    return exc


@pytest.mark.parametrize("winerror", [5, 32, 33])
def test_replace_waits_out_a_transient_windows_lock(tmp_path, monkeypatch, winerror):
    source, target = tmp_path / "new", tmp_path / "old"
    source.write_text("new")
    target.write_text("old")
    real, failures = os.replace, [windows_error(winerror)] * 3

    def locked(src, dst):
        if failures:
            raise failures.pop()
        real(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    pauses: list[float] = []
    fileio.replace(source, target, sleep=pauses.append)
    assert target.read_text() == "new" and not source.exists() and len(pauses) == 3


def test_replace_gives_up_after_its_timeout_and_keeps_the_source(tmp_path, monkeypatch):
    source, target = tmp_path / "new", tmp_path / "old"
    source.write_text("new")
    def always_locked(*_):
        raise windows_error(32)

    monkeypatch.setattr(os, "replace", always_locked)
    with pytest.raises(PermissionError):
        fileio.replace(source, target, timeout=0.05, sleep=lambda _: None)
    assert source.read_text() == "new"


def test_replace_does_not_retry_other_errors(tmp_path, monkeypatch):
    calls = []

    def full(*_):
        calls.append(1)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space"):
        fileio.replace(tmp_path / "a", tmp_path / "b", sleep=lambda _: None)
    assert calls == [1]


def test_atomic_write_retries_and_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "statement.csv"
    path.write_text("old")
    real, failures = os.replace, [windows_error(32)]

    def locked_once(src, dst):
        if failures:
            raise failures.pop()
        real(src, dst)

    monkeypatch.setattr(os, "replace", locked_once)
    fileio.atomic_write_text(path, "José;100\r\n", newline="")
    assert path.read_bytes() == "José;100\r\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["statement.csv"]


def test_atomic_path_removes_the_part_file_when_the_writer_fails(tmp_path):
    path = tmp_path / "statement.pdf"
    with pytest.raises(RuntimeError), fileio.atomic_path(path) as tmp:
        tmp.write_bytes(b"%PDF-half")
        raise RuntimeError("printer on fire")
    assert list(tmp_path.iterdir()) == []
    with fileio.atomic_path(path) as tmp:
        tmp.write_bytes(b"%PDF-1.7")
    assert path.read_bytes() == b"%PDF-1.7" and [p.name for p in tmp_path.iterdir()] == ["statement.pdf"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_private_folders_and_files(tmp_path):
    folder = fileio.private_dir(tmp_path / "data")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    fileio.private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700
    written = folder / "x.json"
    fileio.atomic_write_text(written, "{}")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    with fileio.open_private_append(folder / "app.log") as log:
        log.write("line\n")
    assert stat.S_IMODE((folder / "app.log").stat().st_mode) == 0o600


def test_json_with_a_byte_order_mark_reads(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_bytes(b'\xef\xbb\xbf[{"login": 1}]')
    assert fileio.read_json_file(path) == [{"login": 1}]


def test_a_json_syntax_error_names_its_line_and_column_and_explains_backslashes(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text('[\n  {"path": "C:\\Program Files"}\n]', encoding="utf-8")
    with pytest.raises(fileio.JsonFileError) as caught:
        fileio.read_json_file(path)
    assert (caught.value.line, caught.value.column) == (2, 15)
    assert "line 2, column 15" in str(caught.value) and "C:/Program Files" in str(caught.value)


def test_an_oversized_json_file_is_refused_unread(tmp_path):
    path = tmp_path / "settings.json"
    path.write_bytes(b" " * 2000 + b"{}")
    with pytest.raises(fileio.JsonFileError, match="larger than 1,000 bytes"):
        fileio.read_json_file(path, max_bytes=1000)


def test_the_bridge_reads_an_accounts_file_notepad_saved_with_a_bom(tmp_path):
    from bridge_link.server.build import read_accounts_file

    path = tmp_path / "accounts.json"
    path.write_bytes('\ufeff[{"login": 886557, "name": "Core", "fund_type": "CORE"}]'.encode())
    # Before: "Expecting value: line 1 column 1" and the bridge did not start.
    assert read_accounts_file(str(path))[886557].fund_type == "CORE"
    path.write_text('[{"login": 1, "name": "C:\\Program Files"}]', encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1, column 26: Invalid \\escape"):
        read_accounts_file(str(path))
