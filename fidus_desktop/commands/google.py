"""``fidus-desktop google``: connect the Google account, check it, disconnect it.

    fidus-desktop google connect --client-file client_secret_desktop.json   # once; then without it
    fidus-desktop google status [--json]
    fidus-desktop google disconnect [--json]

``connect`` runs the same browser sign-in as the window (PKCE, a loopback listener on
127.0.0.1), opening the system browser and printing the address too. The client file's JSON and
the sign-in are kept in the OS keyring; no token, code or secret is ever printed or logged.

JSON (stable; fields may be added, never renamed or removed)::

    connect:    {"connected": true, "account": "me@example.com", "scopes": ["gmail.readonly", ...],
                 "missing_scopes": []}
    status:     {"connected": true, "account": "me@example.com", "scopes": [...], "missing_scopes": [],
                 "connected_at": "2026-03-01T09:30:00+00:00" | null, "problem": "",
                 "apis": [{"api": "gmail" | "calendar" | "drive", "ok": true, "latency_ms": 123.4,
                           "detail": "..."}]}
    disconnect: {"disconnected": true, "revoked": true, "message": "..."}
    any error:  {"error": "...", "code": "google_reconnect" | "google_not_connected" | ...}

Exit codes: 0 done (for ``status``: connected and every API answered), 2 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

EXIT_FAILED = 2


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "google", help="connect, check or disconnect the Google account (Gmail, Calendar, Drive)",
        description="Connect the Google Workspace account FIDUS uses, check it, or disconnect it.",
        epilog="With --json each action prints one JSON object (see the module documentation for its "
               "fields: connect {connected, account, scopes, missing_scopes}; status {connected, account, "
               "scopes, missing_scopes, connected_at, problem, apis[{api, ok, latency_ms, detail}]}; "
               "disconnect {disconnected, revoked, message}; errors {error, code}). Exit 0 when done, 2 otherwise.")
    actions = parser.add_subparsers(dest="google_action", metavar="ACTION", required=True)
    connect = actions.add_parser("connect", help="sign in with Google in the browser (also prints the address)")
    connect.add_argument("--client-file", type=Path, metavar="FILE",
                         help="the OAuth client file (type \"Desktop app\") from the Google Cloud console; "
                              "kept in the keyring, needed only the first time")
    connect.add_argument("--no-browser", action="store_true", help="only print the address, do not open a browser")
    connect.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long (default 300)")
    connect.add_argument("--json", action="store_true", help="print the result as JSON (the address goes to stderr)")
    status = actions.add_parser("status", help="the account, the scopes granted, and one call to each API")
    status.add_argument("--json", action="store_true", help="print the stable JSON form")
    status.add_argument("--no-calls", action="store_true", help="do not call the APIs, only read the keyring")
    disconnect = actions.add_parser("disconnect", help="revoke FIDUS's access at Google and forget the sign-in")
    disconnect.add_argument("--json", action="store_true", help="print the result as JSON")
    disconnect.add_argument("--forget-client", action="store_true",
                            help="also remove the OAuth client file's JSON from the keyring")


def run(args: argparse.Namespace) -> int:
    from ..errors import FidusError
    from ..logs import redact, setup_logging
    from ..paths import AppPaths

    paths = AppPaths.default().ensure()
    setup_logging(paths.log_file)
    try:
        return asyncio.run(_run(args, paths))
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return EXIT_FAILED
    except FidusError as exc:
        _fail(args, str(exc), exc.code)
        return EXIT_FAILED
    except Exception as exc:  # a readable line, never a traceback that could quote a token
        print(redact(f"Google command failed unexpectedly: {type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_FAILED


def _fail(args: argparse.Namespace, message: str, code: str) -> None:
    from ..logs import redact

    if getattr(args, "json", False):
        print(json.dumps({"error": redact(message), "code": code}))
    else:
        print(redact(message), file=sys.stderr)


async def _run(args: argparse.Namespace, paths: Any) -> int:
    import dataclasses

    from ..app_context import AppContext
    from ..google.account import GoogleAccount

    context = AppContext.create(paths)
    settings = context.settings.google
    if getattr(args, "timeout", None):
        settings = dataclasses.replace(settings, consent_timeout_seconds=args.timeout)
    opener = (lambda url: False) if getattr(args, "no_browser", False) else None
    account = GoogleAccount(settings, context.secrets, asyncio.to_thread, cache_dir=paths.cache_dir,
                            open_browser=opener)
    if args.google_action == "connect":
        return await _connect(args, context, account)
    if args.google_action == "status":
        return await _status(args, account)
    return await _disconnect(args, context, account)


async def _connect(args: argparse.Namespace, context: Any, account: Any) -> int:
    import dataclasses

    from ..google.client_file import SCOPES, short_scope

    if args.client_file is not None:
        account.use_client_file(args.client_file)
    if not context.secrets.persistent:
        print(context.secrets.warning, file=sys.stderr)

    def show(url: str) -> None:
        out = sys.stderr if args.json else sys.stdout
        print("Sign in with Google in your browser. If it did not open, open this address:", file=out)
        print(url, file=out, flush=True)

    grant = await account.connect(on_url=show)
    if grant.account_email and grant.account_email != context.settings.google.account_email:
        google = dataclasses.replace(context.settings.google, account_email=grant.account_email)
        context.update_settings(context.settings.replace(google=google))
    missing = [short_scope(s) for s in SCOPES if s not in grant.scopes]
    if args.json:
        print(json.dumps({"connected": True, "account": grant.account_email,
                          "scopes": [short_scope(s) for s in grant.scopes], "missing_scopes": missing}))
    else:
        print(f"Connected: {grant.account_email or '(account not known)'}")
        if missing:
            print(f"Not granted: {', '.join(missing)}; the features needing them will ask to connect again.")
    return 0


async def _status(args: argparse.Namespace, account: Any) -> int:
    from ..google.client_file import short_scope
    from ..logs import redact

    status = await account.status(probe=not args.no_calls)
    healthy = status.connected and all(p.ok for p in status.probes)
    if args.json:
        print(json.dumps({
            "connected": status.connected, "account": status.account_email,
            "scopes": [short_scope(s) for s in status.scopes],
            "missing_scopes": [short_scope(s) for s in status.missing_scopes],
            "connected_at": status.connected_at.isoformat() if status.connected_at else None,
            "problem": status.problem,
            "apis": [{"api": p.api, "ok": p.ok, "latency_ms": p.latency_ms, "detail": redact(p.detail)}
                     for p in status.probes]}, indent=2))
        return 0 if healthy else EXIT_FAILED
    if not status.connected:
        print(status.problem)
        return EXIT_FAILED
    print(f"Account:  {status.account_email or '(unknown)'}")
    print(f"Scopes:   {', '.join(short_scope(s) for s in status.scopes)}")
    if status.missing_scopes:
        print(f"Missing:  {', '.join(short_scope(s) for s in status.missing_scopes)}")
    for probe in status.probes:
        state = "ok" if probe.ok else "FAILED"
        print(f"{probe.api:9} {state:7} {probe.latency_ms:8.1f} ms  {redact(probe.detail)}")
    return 0 if healthy else EXIT_FAILED


async def _disconnect(args: argparse.Namespace, context: Any, account: Any) -> int:
    import dataclasses

    result = await account.disconnect(forget_client=args.forget_client)
    if context.settings.google.account_email:
        google = dataclasses.replace(context.settings.google, account_email="")
        context.update_settings(context.settings.replace(google=google))
    if args.json:
        print(json.dumps({"disconnected": True, "revoked": result.revoked, "message": result.message}))
    else:
        print(result.message)
    return 0
