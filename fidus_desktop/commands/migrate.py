"""``fidus-desktop migrate``: copy the fund between this computer's database and a MongoDB.

    fidus-desktop migrate --to "$ATLAS_URI"                                   # local -> MongoDB
    fidus-desktop migrate --from mongodb://db.example.net --database fidus    # MongoDB -> local
    fidus-desktop migrate --to                                                # the saved URI

``--to``/``--from`` without a URI use the one saved in the keyring, which keeps the password off
the command line (and out of shell history). Nothing printed ever shows the password.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

EXIT_FAILED = 2

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate", help="copy the fund between this computer and a MongoDB",
        description="Copy every fund record between this computer's embedded database and a MongoDB "
                    "(the web platform's Atlas database, for example).")
    direction = parser.add_mutually_exclusive_group(required=True)
    direction.add_argument("--to", dest="to_uri", metavar="URI", nargs="?", const="",
                           help="copy this computer's fund into the MongoDB at URI")
    direction.add_argument("--from", dest="from_uri", metavar="URI", nargs="?", const="",
                           help="copy the fund at URI into this computer's database")
    parser.add_argument("--database", metavar="NAME", help="MongoDB database name (default from settings)")
    parser.add_argument("--merge", action="store_true",
                        help="add only the records the target lacks, instead of refusing a non-empty target")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="how long to wait for the MongoDB server (default from settings)")


def run(args: argparse.Namespace) -> int:
    from ..logs import redact, setup_logging
    from ..paths import AppPaths

    paths = AppPaths.default().ensure()
    setup_logging(paths.log_file)
    try:
        return asyncio.run(_migrate(args, paths))
    except KeyboardInterrupt:
        print("Migration interrupted; records already copied stay copied (run again with --merge).",
              file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # keep the promise of a readable line and exit 2, even for a bug
        log.exception("migration failed unexpectedly")
        print(redact(f"Migration failed unexpectedly: {type(exc).__name__}: {exc} "
                     f"(details in {paths.log_file})"), file=sys.stderr)
        return EXIT_FAILED


async def _migrate(args: argparse.Namespace, paths: Any) -> int:
    from ..app_context import AppContext, mongo_display, register_uri_secret
    from ..errors import FidusError
    from ..logs import redact
    from ..storage.migrate import copy_fund
    from ..storage.open import describe_uri, is_mongodb_uri, open_store

    context = AppContext.create(paths)
    settings = context.settings.storage
    remote_uri = args.to_uri if args.to_uri is not None else args.from_uri
    if not remote_uri:
        remote_uri = context.secrets.get(settings.mongo_uri_secret) or ""
        if not remote_uri:
            print(f"Migration failed: no MongoDB address given, and none is saved in the keyring "
                  f"(entry '{settings.mongo_uri_secret}').", file=sys.stderr)
            return EXIT_FAILED
    register_uri_secret(remote_uri)
    if not is_mongodb_uri(remote_uri):
        # Anything else would be read as a file path: a SQLite file written in the current folder.
        print(redact(f"Migration failed: '{describe_uri(remote_uri)}' is not a MongoDB address: "
                     "--to and --from take a URI starting with mongodb:// or mongodb+srv://."), file=sys.stderr)
        return EXIT_FAILED
    try:
        local = context.storage_target_embedded()
    except FidusError as exc:
        print(redact(f"Migration failed: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    database = args.database or settings.mongo_database
    timeout = args.timeout if args.timeout is not None else settings.timeout_seconds
    remote_name = f"{mongo_display(remote_uri)} (database {database})"
    outward = args.to_uri is not None
    source_name, target_name = (local.display, remote_name) if outward else (remote_name, local.display)

    def progress(fraction: float, message: str) -> None:
        print(redact(f"  {fraction:4.0%}  {message}"), flush=True)

    stores = []
    try:
        local_store = await open_store(local.uri)
        stores.append(local_store)
        print(redact(f"Connecting to {remote_name}..."), flush=True)
        remote_store = await open_store(remote_uri, database=database, timeout_seconds=timeout)
        stores.append(remote_store)
        source, target = (local_store, remote_store) if outward else (remote_store, local_store)
        if not outward and local.embedded_path is not None:
            from ..storage.backup import backup

            kept = await backup(local.embedded_path, "before-migrate", context.settings.storage.backups_kept)
            print(f"This computer's fund was backed up first: {kept.path}", flush=True)
        print(redact(f"Copying {source_name} -> {target_name}{' (merge)' if args.merge else ''}"), flush=True)
        written = await copy_fund(source, target, progress=progress, merge=args.merge)
    except FidusError as exc:
        print(redact(f"Migration failed: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    finally:
        for store in stores:
            try:
                await store.close()
            except Exception:
                log.exception("closing a store after migration failed")
    print("Copied:")
    for name, count in written.items():
        print(f"  {name:<16} {count:>7}")
    print(redact(f"Done: {sum(written.values())} records written to {target_name}."))
    return 0
