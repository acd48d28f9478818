"""``fidus-desktop secret``: put the passwords and keys the settings name into the OS keyring.

    fidus-desktop secret list                 # every entry the settings name, and whether it is set
    fidus-desktop secret set bridge-vps1-key  # asks for the value, hidden
    fidus-desktop secret delete bridge-vps1-key

Values are read without echo (or from standard input with ``--stdin``) and never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

EXIT_FAILED = 2


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("secret", help="store the passwords and API keys the settings name",
                                   description="Manage the keyring entries named by the settings.")
    actions = parser.add_subparsers(dest="secret_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="the entries the settings name, and whether each is set")
    store = actions.add_parser("set", help="store a value (asked for, hidden)")
    store.add_argument("entry")
    store.add_argument("--stdin", action="store_true", help="read the value from standard input")
    delete = actions.add_parser("delete", help="remove a value from the keyring")
    delete.add_argument("entry")


def named_entries(settings: Any) -> dict[str, str]:
    """``{keyring entry: what it is for}`` for every secret the settings refer to."""
    entries = {settings.storage.mongo_uri_secret: "MongoDB URI (with its password)",
               settings.mt5.password_secret: f"MT5 password of login {settings.mt5.login or '(main login)'}",
               settings.google.client_secret_entry: "Google OAuth client (installed app)",
               settings.google.token_entry: "Google OAuth token"}
    for login in settings.mt5.accounts:
        entries[f"{settings.mt5.password_secret}-{login}"] = f"MT5 password of login {login}"
    for bridge in settings.mt5.bridges:
        if bridge.api_key_secret:
            entries[bridge.api_key_secret] = f"API key of bridge {bridge.name}"
    return entries


def run(args: argparse.Namespace) -> int:
    from ..errors import SecretStoreUnavailable

    try:
        return _run(args)
    except SecretStoreUnavailable as exc:
        print(f"Keyring error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _run(args: argparse.Namespace) -> int:
    from ..app_context import AppContext
    from ..paths import AppPaths

    context = AppContext.create(AppPaths.default())
    secrets = context.secrets
    entries = named_entries(context.settings)
    if args.secret_action == "list":
        for entry, purpose in entries.items():
            state = "set" if secrets.get(entry) else "not set"
            print(f"{entry:32} {state:8} {purpose}")
        return 0
    if args.secret_action == "delete":
        secrets.delete(args.entry)
        print(f"Removed '{args.entry}' from the keyring.")
        return 0
    if args.entry not in entries:
        print(f"No setting names '{args.entry}'; it was stored anyway. Entries in use: "
              f"{', '.join(entries)}", file=sys.stderr)
    value = (sys.stdin.readline() if args.stdin else getpass.getpass(f"Value for {args.entry} (hidden): ")).strip()
    if not value:
        print("Nothing stored: the value was empty.", file=sys.stderr)
        return EXIT_FAILED
    secrets.set(args.entry, value)
    if not secrets.persistent:
        print(secrets.warning, file=sys.stderr)
        return EXIT_FAILED
    print(f"Stored '{args.entry}' in the keyring.")
    return 0
