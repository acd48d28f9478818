"""``fidus-desktop backup`` and ``fidus-desktop restore``: copies of the embedded fund.

    fidus-desktop backup                 # a backup now, into backups/ beside the fund file
    fidus-desktop backup --list          # the backups there are, oldest first
    fidus-desktop restore --latest       # put the newest backup in place of the fund
    fidus-desktop restore FILE           # ... or this one

The app also keeps its own: one a day when it starts, one before every schema upgrade and one
before ``migrate --from`` writes into the fund; the last ``storage.backups_kept`` (10) are kept.
A restore refuses while FIDUS Desktop has the fund open, and always keeps the file it replaces.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

EXIT_FAILED = 2


def add_parser(subparsers: Any) -> None:
    backup = subparsers.add_parser(
        "backup", help="back up the embedded fund database now, or list its backups",
        description="Copy the embedded fund database into the backups folder beside it (SQLite's online "
                    "backup: safe while FIDUS Desktop is running). The last storage.backups_kept are kept.")
    backup.add_argument("--list", action="store_true", help="list the backups instead of taking one")
    backup.set_defaults(backup_action="backup")
    restore = subparsers.add_parser(
        "restore", help="replace the embedded fund database with a backup",
        description="Put a backup in place of the embedded fund database. Refused while FIDUS Desktop has the "
                    "fund open; the file it replaces is kept beside the backups as <fund>-replaced-<time>.sqlite3.")
    source = restore.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, help="the backup file to restore")
    source.add_argument("--latest", action="store_true", help="restore the newest backup")
    restore.set_defaults(backup_action="restore")


def run(args: argparse.Namespace) -> int:
    from ..app_context import AppContext
    from ..errors import FidusError
    from ..logs import redact, setup_logging
    from ..paths import AppPaths

    paths = AppPaths.default().ensure()
    setup_logging(paths.log_file)
    context = AppContext.create(paths)
    try:
        fund = context.storage_target_embedded().embedded_path
        assert fund is not None
        if args.backup_action == "restore":
            return asyncio.run(_restore(fund, args))
        if args.list:
            return _list(fund)
        return asyncio.run(_backup(fund, context.settings.storage.backups_kept))
    except FidusError as exc:
        print(redact(f"{args.backup_action.capitalize()} failed: {exc}"), file=sys.stderr)
        return EXIT_FAILED


def _list(fund: Path) -> int:
    from ..storage.backup import folder_of, list_backups

    backups = list_backups(fund)
    if not backups:
        print(f"No backups of {fund} yet (they go to {folder_of(fund)}).")
        return 0
    for b in backups:
        print(f"{b.taken_at:%Y-%m-%d %H:%M:%S} UTC  {b.reason:<15} {b.size / 1e6:>9.1f} MB  {b.path}")
    return 0


async def _backup(fund: Path, keep: int) -> int:
    from ..storage.backup import backup

    taken = await backup(fund, "manual", keep)
    print(f"Backup written: {taken.path} ({taken.size / 1e6:.1f} MB); the last {keep} are kept.")
    return 0


async def _restore(fund: Path, args: argparse.Namespace) -> int:
    from ..storage.backup import folder_of, list_backups, restore

    source = args.file
    if args.latest:
        backups = list_backups(fund)
        if not backups:
            print(f"Restore failed: there is no backup of {fund} in {folder_of(fund)}.", file=sys.stderr)
            return EXIT_FAILED
        source = backups[-1].path
    done = await restore(fund, source)
    print(f"Restored {fund} from {done.source}.")
    if done.kept_aside is not None:
        print(f"The file it replaced is kept as {done.kept_aside}.")
    return 0
