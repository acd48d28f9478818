"""``fidus-desktop doctor``: everything that can be checked without the window, each finding
with what to do about it.

Checks, in order: the settings file, the privacy of the app's folders and files, the fund
database (SQLite's full integrity check for the embedded one, a connection for MongoDB), its
backups, the local cache, the keyring, and every document the app reads (those it cannot trust
are listed, as ``report`` and the Health panel list them).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .app_context import AppContext, StorageTarget
from .domain.values import utc_now
from .errors import FidusError
from .lanes import shared_lanes
from .logs import redact
from .paths import AppPaths

Level = Literal["ok", "warning", "error"]
#: A backup older than this gets a warning (the app takes one each day it starts).
STALE_BACKUP_DAYS = 3


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    topic: str
    message: str

    def line(self) -> str:
        return redact(f"{self.level.upper():<8} {self.topic}: {self.message}")


async def diagnose(paths: AppPaths) -> list[Finding]:
    findings: list[Finding] = []
    context = AppContext.create(paths)
    findings += _settings(context)
    findings += _privacy(paths)
    try:
        target = context.storage_target()
    except FidusError as exc:
        return [*findings, Finding("error", "fund database", str(exc))]
    if target is None:
        entry = context.settings.storage.mongo_uri_secret
        findings.append(Finding("error", "fund database", f"MongoDB is chosen but no address is saved in the "
                                                          f"keyring (entry '{entry}'): run 'fidus-desktop database use-mongodb'."))
    else:
        findings += await _fund(context, target)
    findings += await _cache(paths)
    secrets = context.secrets
    findings.append(Finding("ok", "keyring", "the system keyring holds the secrets") if secrets.persistent
                    else Finding("warning", "keyring", secrets.warning or "no system keyring"))
    return findings


def _settings(context: AppContext) -> list[Finding]:
    path = context.paths.settings_file
    warnings = [w for w in context.startup_warnings if str(path.name) in w]
    if context.settings.storage.unreadable:
        return [Finding("error", "settings", context.settings.storage.unreadable)]
    if warnings:
        return [Finding("warning", "settings", w) for w in warnings]
    return [Finding("ok", "settings", f"{path} is valid" if path.exists() else "defaults (no settings file yet)")]


def _privacy(paths: AppPaths) -> list[Finding]:
    if os.name != "posix":
        return [Finding("ok", "privacy", "the app's folders are under your Windows profile, private to you")]
    loose = []
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir, paths.log_dir):
        if folder.exists() and stat.S_IMODE(folder.stat().st_mode) & 0o077:
            loose.append(f"{folder} ({oct(stat.S_IMODE(folder.stat().st_mode))})")
        for file in folder.rglob("*") if folder.exists() else ():
            if file.is_file() and stat.S_IMODE(file.stat().st_mode) & 0o077:
                loose.append(f"{file} ({oct(stat.S_IMODE(file.stat().st_mode))})")
    if loose:
        return [Finding("warning", "privacy", "other users of this computer may read: " + ", ".join(loose[:10])
                        + " (starting FIDUS Desktop once makes them private)")]
    return [Finding("ok", "privacy", "files 0600, folders 0700")]


async def _fund(context: AppContext, target: StorageTarget) -> list[Finding]:
    from .storage.open import open_store

    found: list[Finding] = []
    if target.embedded_path is not None:
        checked = await shared_lanes().io.run(lambda: _embedded_file(target.embedded_path), action="doctor: fund file")
        found += checked
        if any(f.level == "error" for f in checked) or not target.embedded_path.exists():
            return found
    try:
        store = await open_store(target.uri, database=target.database,
                                 timeout_seconds=context.settings.storage.timeout_seconds)
    except FidusError as exc:
        return [*found, Finding("error", "fund database", str(exc))]
    try:
        found.append(Finding("ok", "fund database", f"{target.display} answers ({store.location})"))
        found += await _documents(store)
    finally:
        await store.close()
    return found


def _embedded_file(path: Path) -> list[Finding]:
    from .storage.backup import list_backups, restore_hint
    from .storage.sqlite.files import check_file, in_use

    if not path.exists():
        return [Finding("warning", "fund database", f"there is no fund file at {path} yet (the first start "
                                                    "creates it)")]
    if path.stat().st_size == 0:
        return [Finding("error", "fund database", f"{path} is empty (0 bytes). {restore_hint(path)}")]
    try:
        problems = check_file(path, quick=False)
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    found = []
    if problems:
        found.append(Finding("error", "fund database", f"{path} is damaged (SQLite's integrity check: "
                                                        f"{problems[0]}). {restore_hint(path)}"))
    else:
        running = " (FIDUS Desktop has it open)" if in_use(path) else ""
        found.append(Finding("ok", "fund database", f"{path} passes SQLite's full integrity check{running}"))
    backups = list_backups(path)
    if not backups:
        found.append(Finding("warning", "backups", f"no backup of {path} yet: run 'fidus-desktop backup'"))
    else:
        age = utc_now() - backups[-1].taken_at
        level: Level = "warning" if age.days >= STALE_BACKUP_DAYS else "ok"
        found.append(Finding(level, "backups", f"{len(backups)} in {backups[-1].path.parent}, newest "
                                               f"{backups[-1].taken_at:%Y-%m-%d %H:%M} UTC"))
    return found


async def _documents(store: object) -> list[Finding]:
    repositories = store.repositories()  # type: ignore[attr-defined]
    for repository in repositories:
        await repository.find()
    problems = store.problems.all()  # type: ignore[attr-defined]
    if not problems:
        return [Finding("ok", "documents", "every document the app reads can be trusted")]
    return [Finding("warning", "documents", f"left out of every figure: {p.sentence()}") for p in problems]


async def _cache(paths: AppPaths) -> list[Finding]:
    from .storage.sqlite.files import check_file

    if not paths.cache_db.exists():
        return [Finding("ok", "local cache", "not created yet")]
    try:
        problems = await shared_lanes().io.run(lambda: check_file(paths.cache_db, quick=True), action="doctor: cache")
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        return [Finding("error", "local cache", f"{paths.cache_db} is damaged ({problems[0]}). It holds changes "
                                                "waiting to be sent: keep it, and ask for help before deleting it.")]
    return [Finding("ok", "local cache", f"{paths.cache_db} is sound")]
