"""``fidus-desktop doctor`` finds what is wrong and says what to do; exit 0 only when healthy."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fidus_desktop.app_context import open_context
from fidus_desktop.cli import main
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore


def first_start() -> AppPaths:
    async def run() -> AppPaths:
        paths = AppPaths.default()
        await (await open_context(paths)).close()
        return paths

    return asyncio.run(run())


def test_a_healthy_install_passes(capsys) -> None:
    first_start()
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "OK       fund database:" in out and "passes SQLite's full integrity check" in out
    assert "OK       backups: 1 in" in out and "every document the app reads can be trusted" in out
    assert "ERROR" not in out


def test_a_damaged_fund_fails_and_points_to_the_backup(capsys) -> None:
    from tests.storage.test_integrity import damage

    paths = first_start()
    damage(paths.fund_db)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "ERROR    fund database:" in out and "fidus-desktop restore --latest" in out


def test_documents_the_app_cannot_trust_are_listed(capsys) -> None:
    paths = first_start()

    async def add_bad() -> None:
        store = await FundStore.open(SqliteBackend(paths.fund_db))
        try:
            await store.investments.insert_documents([{
                "investment_id": "bad-1", "client_id": "c", "fund_type": "CORE", "principal_amount": float("inf"),
                "status": "active", "start_date": datetime(2025, 1, 1, tzinfo=UTC)}])
        finally:
            await store.close()

    asyncio.run(add_bad())
    assert main(["doctor"]) == 0  # the fund works; the record is a warning to fix
    out = capsys.readouterr().out
    assert "WARNING  documents: left out of every figure: investments bad-1 field principal_amount" in out


def test_an_unreadable_settings_file_is_an_error(capsys) -> None:
    paths = first_start()
    paths.settings_file.write_text('{"storage": {"backend": "mongo"}}', encoding="utf-8")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "ERROR    settings:" in out and "storage.backend" in out
