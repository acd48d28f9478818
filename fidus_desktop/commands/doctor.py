"""``fidus-desktop doctor``: check the settings, the fund database, its backups, the local cache,
the keyring and every document the app reads; say what to do about what is wrong.

Exit status: 0 when nothing is wrong (warnings allowed), 1 when something is, 2 when the check
itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    subparsers.add_parser(
        "doctor", help="check the fund database, its backups, the settings and the documents",
        description="Check everything FIDUS Desktop depends on and say what to do about what is wrong: the "
                    "settings file, the privacy of its files, the fund database (SQLite's full integrity "
                    "check, or a connection to MongoDB), backups, the local cache, the keyring, and the "
                    "documents the app cannot trust. Exit status 0: healthy; 1: something is wrong.")


def run(args: argparse.Namespace) -> int:
    from ..diagnostics import diagnose
    from ..logs import redact, setup_logging
    from ..paths import AppPaths

    paths = AppPaths.default().ensure()
    setup_logging(paths.log_file)
    try:
        findings = asyncio.run(diagnose(paths))
    except Exception as exc:  # a readable line, never a traceback
        print(redact(f"doctor: the check itself failed: {type(exc).__name__}: {exc}"), file=sys.stderr)
        return 2
    for finding in findings:
        print(finding.line())
    return 1 if any(f.level == "error" for f in findings) else 0
