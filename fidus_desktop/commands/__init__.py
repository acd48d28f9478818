"""Headless subcommands of ``fidus-desktop``.

To add one, write ``fidus_desktop/commands/<name>.py`` with

    def add_parser(subparsers) -> None:   # registers its argparse sub-parser
    def run(args) -> int:                  # the exit code

and list the module below (one line). ``add_parser`` runs on every start, even for the window,
so a command module imports its heavy dependencies inside ``run``, never at the top.
"""

from __future__ import annotations

import importlib
from typing import Any

COMMANDS: tuple[str, ...] = (
    "fidus_desktop.commands.database",
    "fidus_desktop.commands.migrate",
    "fidus_desktop.commands.secret",
    "fidus_desktop.commands.report",
    "fidus_desktop.commands.google",
    "fidus_desktop.commands.mt5",
    "fidus_desktop.commands.backup",
    "fidus_desktop.commands.doctor",
    "fidus_desktop.commands.crm",
)


def add_commands(subparsers: Any) -> None:
    for name in COMMANDS:
        module = importlib.import_module(name)
        before = set(subparsers.choices)
        module.add_parser(subparsers)
        for command in set(subparsers.choices) - before:
            # The module's run() is what main() calls for it; set here so no module can forget.
            subparsers.choices[command].set_defaults(run=module.run)
