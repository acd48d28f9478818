"""The fund file's place: a network drive or a synced folder is recognised, the fund is opened
there without WAL with a warning, and it can be moved."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from fidus_desktop.app_context import AppContext
from fidus_desktop.config import Settings, StorageSettings
from fidus_desktop.errors import ValidationError
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage import location
from fidus_desktop.storage.location import MountTable, assess_location
from fidus_desktop.storage.relocate import copy_fund


class FakeVolumes:
    """What Windows says: ``GetDriveTypeW`` is DRIVE_REMOTE for these roots; volume labels."""

    def __init__(self, network: tuple[str, ...] = (), labels: dict[str, str] | None = None) -> None:
        self.network = network
        self.labels = labels or {}

    def is_network(self, path: Path) -> bool:
        return any(str(path).startswith(root) for root in self.network)

    def label(self, path: Path) -> str:
        return next((label for root, label in self.labels.items() if str(path).startswith(root)), "")


LOCAL = FakeVolumes()


@pytest.mark.parametrize(("path", "env", "volumes", "kind", "where"), [
    ("Z:/Funds/fund.sqlite3", {}, FakeVolumes(network=("Z:",)), "network", "a network drive"),
    ("\\\\fileserver\\funds\\fund.sqlite3", {}, LOCAL, "network", "a network drive"),
    ("C:\\Users\\ana\\OneDrive\\FIDUS\\fund.sqlite3", {"OneDrive": "C:\\Users\\ana\\OneDrive"}, LOCAL, "synced",
     "OneDrive"),
    ("C:\\Users\\ana\\OneDrive - FIDUS Ltd\\fund.sqlite3", {}, LOCAL, "synced", "OneDrive"),
    ("/home/ana/Dropbox/fund.sqlite3", {}, LOCAL, "synced", "Dropbox"),
    ("/Users/ana/Library/Mobile Documents/com~apple~CloudDocs/fund.sqlite3", {}, LOCAL, "synced", "iCloud"),
    ("C:\\Users\\ana\\iCloudDrive\\fund.sqlite3", {}, LOCAL, "synced", "iCloud"),
    ("G:\\My Drive\\fund.sqlite3", {}, LOCAL, "synced", "Google Drive"),
    ("H:\\fund.sqlite3", {}, FakeVolumes(labels={"H:": "Google Drive GoogleDriveFS"}), "synced", "Google Drive"),
])
def test_unsafe_places_are_recognised(path, env, volumes, kind, where):
    risk = assess_location(Path(path), volumes, env)
    assert risk is not None and (risk.kind, risk.where) == (kind, where)
    assert "without the write-ahead log" in risk.message and "Move the fund" in risk.message


@pytest.mark.parametrize("path", ["C:\\Users\\ana\\AppData\\Local\\FIDUS\\fund.sqlite3", "/home/ana/funds/fund.sqlite3",
                                  "D:\\Dropboxes-archive\\fund.sqlite3"])
def test_local_folders_are_fine(path):
    assert assess_location(Path(path), LOCAL, {"OneDrive": "C:\\Users\\ana\\OneDrive"}) is None


def test_linux_network_mounts_are_read_from_the_mount_table(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n//nas/funds /mnt/funds cifs rw 0 0\n"
                      "nas:/export /mnt/nfs\\040share nfs4 rw 0 0\n")
    table = MountTable(mounts)
    assert table.is_network(Path("/mnt/funds/fund.sqlite3"))
    assert table.is_network(Path("/mnt/nfs share/fund.sqlite3"))
    assert not table.is_network(Path("/home/ana/fund.sqlite3"))
    assert not table.is_network(Path("/mnt/fundsx/fund.sqlite3"))


async def test_a_synced_fund_opens_without_wal_and_says_why(tmp_path, monkeypatch):
    synced = tmp_path / "OneDrive" / "FIDUS"
    monkeypatch.setattr(location, "system_volumes", lambda: LOCAL)
    settings = Settings(storage=StorageSettings(sqlite_path=str(synced / "fund.sqlite3")))
    context = AppContext.create(AppPaths.under(tmp_path / "home"), settings=settings)
    await context.open_storage()
    try:
        assert context.store is not None
        assert await context.store.backend.journal_mode() == "delete"
        assert context.location_risk is not None and context.location_risk.where == "OneDrive"
        assert any("OneDrive" in w and "Move the fund" in w for w in context.startup_warnings)
        assert not (synced / "fund.sqlite3-wal").exists()
    finally:
        await context.close()


async def test_a_local_fund_keeps_wal(tmp_path, monkeypatch):
    monkeypatch.setattr(location, "system_volumes", lambda: LOCAL)
    context = AppContext.create(AppPaths.under(tmp_path / "home"))
    await context.open_storage()
    try:
        assert await context.store.backend.journal_mode() == "wal" and context.location_risk is None
    finally:
        await context.close()


async def test_moving_the_fund_copies_it_whole_and_refuses_another_synced_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(location, "system_volumes", lambda: LOCAL)
    source_folder = tmp_path / "Dropbox"
    settings = Settings(storage=StorageSettings(sqlite_path=str(source_folder / "fund.sqlite3")))
    context = AppContext.create(AppPaths.under(tmp_path / "home"), settings=settings)
    await context.open_storage()
    try:
        clients = await context.store.clients.count()
        assert clients > 0  # the demo fund
        with pytest.raises(ValidationError, match="OneDrive"):
            copy_fund(source_folder / "fund.sqlite3", tmp_path / "OneDrive", volumes=LOCAL)
        moved = copy_fund(source_folder / "fund.sqlite3", tmp_path / "local", volumes=LOCAL)  # while open
    finally:
        await context.close()
    assert sorted(p.name for p in (tmp_path / "local").iterdir()) == ["fund.sqlite3"]  # no part file left
    with contextlib.closing(sqlite3.connect(moved)) as db:
        assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert (source_folder / "fund.sqlite3").exists()  # the old file stays until the manager deletes it
    with pytest.raises(ValidationError, match="exists already"):
        copy_fund(source_folder / "fund.sqlite3", tmp_path / "local", volumes=LOCAL)
    reopened = AppContext.create(AppPaths.under(tmp_path / "home2"), settings=Settings(
        storage=StorageSettings(sqlite_path=str(moved))))
    await reopened.open_storage()
    try:
        assert await reopened.store.clients.count() == clients
    finally:
        await reopened.close()
