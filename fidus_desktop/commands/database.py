"""``fidus-desktop database``: choose where the fund lives.

    fidus-desktop database show
    fidus-desktop database use-mongodb --database fidus_production   # asks for the URI, hidden
    fidus-desktop database use-embedded

The URI (which carries the password) is read without echo, or from standard input with
``--uri-stdin`` for scripts, tested, and saved only in the OS keyring; the settings file records
the choice of backend and the database name, never the address.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import sys
from typing import Any

EXIT_FAILED = 2


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("database", help="show or choose the fund database (embedded or MongoDB)",
                                   description="Show or choose where the fund lives.")
    actions = parser.add_subparsers(dest="database_action", metavar="ACTION", required=True)
    actions.add_parser("show", help="print the database in use (never the password)")
    mongo = actions.add_parser("use-mongodb", help="use a MongoDB (e.g. the web platform's Atlas database)")
    mongo.add_argument("--database", metavar="NAME", help="database name (default fidus_production)")
    mongo.add_argument("--uri-stdin", action="store_true", help="read the URI from standard input")
    mongo.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                       help="how long to wait for the server while testing (default 10)")
    actions.add_parser("use-embedded", help="use the embedded database on this computer (the default)")


def run(args: argparse.Namespace) -> int:
    from ..app_context import AppContext
    from ..logs import setup_logging
    from ..paths import AppPaths

    paths = AppPaths.default().ensure()
    setup_logging(paths.log_file)
    context = AppContext.create(paths)
    if args.database_action == "show":
        return _show(context)
    if args.database_action == "use-embedded":
        _choose(context, backend="sqlite")
        print(f"The fund now lives on this computer: {context.storage_target_embedded().uri}")
        return 0
    return asyncio.run(_use_mongodb(context, args))


def _show(context: Any) -> int:
    storage = context.settings.storage
    if storage.unreadable:
        print(storage.unreadable, file=sys.stderr)
        return EXIT_FAILED
    if storage.backend == "sqlite":
        print(f"Embedded database: {context.storage_target_embedded().uri}")
        return 0
    target = context.storage_target()
    if target is None:
        print(f"MongoDB chosen, but no address is saved in the keyring (entry '{storage.mongo_uri_secret}').")
        return EXIT_FAILED
    print(f"{target.display}, database {target.database}")
    return 0


def _choose(context: Any, **storage_changes: Any) -> None:
    # An explicit choice also settles a storage choice the settings file did not make readable.
    storage = dataclasses.replace(context.settings.storage, unreadable="", **storage_changes)
    was_unreadable = bool(context.settings.storage.unreadable)
    context.update_settings(context.settings.replace(storage=storage))
    if was_unreadable:
        print(f"The settings file that could not be read was kept beside the new one in "
              f"{context.paths.config_dir}.", file=sys.stderr)


async def _use_mongodb(context: Any, args: argparse.Namespace) -> int:
    from ..app_context import mongo_display, register_uri_secret
    from ..errors import FidusError
    from ..storage.open import open_store

    uri = (sys.stdin.readline() if args.uri_stdin else getpass.getpass("MongoDB URI (hidden): ")).strip()
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        print("That is not a MongoDB address (it must start with mongodb:// or mongodb+srv://).",
              file=sys.stderr)
        return EXIT_FAILED
    register_uri_secret(uri)
    database = args.database or context.settings.storage.mongo_database
    print(f"Testing {mongo_display(uri)}, database {database}…")
    try:
        store = await open_store(uri, database=database, timeout_seconds=args.timeout)
        await store.close()
    except FidusError as exc:
        print(f"Not saved: {exc}", file=sys.stderr)
        return EXIT_FAILED
    secrets = context.secrets
    try:
        secrets.set(context.settings.storage.mongo_uri_secret, uri)
    except FidusError as exc:  # the keyring refused it: say so, never fall back to a file
        print(f"Not saved: {exc}", file=sys.stderr)
        return EXIT_FAILED
    _choose(context, backend="mongodb", mongo_database=database)
    print(f"Connected. The fund now lives in {mongo_display(uri)}, database {database}.")
    if not secrets.persistent:
        print(secrets.warning, file=sys.stderr)
    return 0
