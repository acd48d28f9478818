"""Backups of the embedded fund: taken every day, before upgrades and migrations, on demand; kept
N deep; restored only when nobody has the fund open, and never at the cost of the current file."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest

from fidus_desktop.app_context import open_context
from fidus_desktop.cli import main
from fidus_desktop.domain.values import utc_now
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage import backup
from fidus_desktop.storage.sqlite import migrations
from fidus_desktop.storage.sqlite.backend import SqliteBackend
from fidus_desktop.storage.store import FundStore
from tests.storage.mongo_fixtures import mongo_database_name, mongo_server  # noqa: F401 (fixtures)


def clients_in(path) -> int:
    with closing(sqlite3.connect(path)) as raw:
        return raw.execute("SELECT count(*) FROM users").fetchone()[0]


async def first_start() -> AppPaths:
    paths = AppPaths.default()
    await (await open_context(paths)).close()
    return paths


async def add_client(paths: AppPaths, client_id: str) -> None:
    store = await FundStore.open(SqliteBackend(paths.fund_db))
    try:
        await store.clients.insert_documents([{"id": client_id, "type": "client", "name": client_id}])
    finally:
        await store.close()


async def test_the_window_takes_one_backup_a_day() -> None:
    paths = await first_start()
    [daily] = backup.list_backups(paths.fund_db)
    assert daily.reason == "daily" and clients_in(daily.path) == 20
    await (await open_context(paths)).close()  # a second start the same day: no second copy
    assert len(backup.list_backups(paths.fund_db)) == 1
    assert await backup.backup_if_due(paths.fund_db, now=utc_now() + timedelta(days=1)) is not None
    assert len(backup.list_backups(paths.fund_db)) == 2


async def test_only_the_last_n_are_kept() -> None:
    paths = await first_start()
    for _ in range(5):
        await backup.backup(paths.fund_db, "manual", keep=3)
    kept = backup.list_backups(paths.fund_db)
    assert [b.reason for b in kept] == ["manual"] * 3


async def test_a_schema_upgrade_is_preceded_by_a_backup(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = await first_start()

    async def v2_rename(tx, layouts) -> None:
        await tx.fetch("CREATE TABLE manager_notes (id TEXT)")

    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, (2, "notes", v2_rename)))
    from fidus_desktop.storage.sqlite import backend as backend_module
    monkeypatch.setattr(backend_module, "STEPS", migrations.STEPS)
    store = await FundStore.open(SqliteBackend(paths.fund_db))
    await store.close()
    upgraded = [b for b in backup.list_backups(paths.fund_db) if b.reason == "before-upgrade"]
    assert len(upgraded) == 1
    with closing(sqlite3.connect(upgraded[0].path)) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (1,)  # the file as it was


def test_backup_list_and_restore_commands(capsys) -> None:
    paths = asyncio.run(first_start())
    assert main(["backup"]) == 0
    assert "Backup written:" in capsys.readouterr().out
    asyncio.run(add_client(paths, "client_after_backup"))
    assert clients_in(paths.fund_db) == 21
    assert main(["backup", "--list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 2 and "daily" in listing[0] and "manual" in listing[1]

    assert main(["restore", "--latest"]) == 0
    out = capsys.readouterr().out
    assert clients_in(paths.fund_db) == 20
    [aside] = [p for p in (paths.data_dir / "backups").iterdir() if "-replaced-" in p.name]
    assert f"kept as {aside}" in out and clients_in(aside) == 21  # the replaced file is kept
    assert len(backup.list_backups(paths.fund_db)) == 2  # and is not mistaken for a backup


async def test_restore_is_refused_while_the_fund_is_open_and_changes_nothing(capsys) -> None:
    paths = await first_start()
    context = await open_context(paths)
    try:
        code = await asyncio.to_thread(main, ["restore", "--latest"])
        err = capsys.readouterr().err
        assert code == 2 and "has the fund at" in err and "open: close it" in err
        assert not [p for p in (paths.data_dir / "backups").iterdir() if "-replaced-" in p.name]
    finally:
        await context.close()


@pytest.mark.parametrize("content, said", [(b"not a database at all" * 100, "not a FIDUS database backup"),
                                           (None, "no backup file")])
def test_restore_refuses_what_is_not_a_backup(tmp_path, capsys, content, said) -> None:
    asyncio.run(first_start())
    source = tmp_path / "backup.sqlite3"
    if content is not None:
        source.write_bytes(content)
    assert main(["restore", str(source)]) == 2
    assert said in capsys.readouterr().err


def test_backup_refuses_a_damaged_fund_so_good_backups_survive(capsys) -> None:
    from tests.storage.test_integrity import damage

    paths = asyncio.run(first_start())
    damage(paths.fund_db)
    assert main(["backup"]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and "restore --latest" in err
    assert len(backup.list_backups(paths.fund_db)) == 1


@pytest.mark.mongo
async def test_migrating_into_this_computer_backs_the_fund_up_first(mongo_server, mongo_database_name,
                                                                    capsys) -> None:
    from fidus_desktop.storage.mongo import MongoBackend

    paths = await first_start()
    remote = await FundStore.open(MongoBackend(mongo_server.uri, database=mongo_database_name))
    try:
        await remote.clients.insert_documents([{"id": "client_remote", "type": "client", "name": "Remote"}])
    finally:
        await remote.close()
    code = await asyncio.to_thread(main, ["migrate", "--from", mongo_server.uri, "--database", mongo_database_name,
                                          "--merge"])
    assert code == 0, capsys.readouterr().err
    [before] = [b for b in backup.list_backups(paths.fund_db) if b.reason == "before-migrate"]
    assert clients_in(before.path) == 20 and clients_in(paths.fund_db) == 21
