"""``fidus-bridge``: run the MT5 bridge server, or store its API key in the keyring.

    fidus-bridge serve --demo                 # the demo terminal, on 127.0.0.1:8000
    fidus-bridge serve --host 0.0.0.0 --terminal-path "C:\\...\\terminal64.exe" --accounts-file accounts.json
    fidus-bridge set-key                      # asks for the key, stores it in the keyring
    fidus-bridge set-password 886557          # asks for that MT5 account's password, stores it in the keyring
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from fidus_desktop.logs import RedactingFormatter, setup_logging
from fidus_desktop.secrets import SecretStore

from ..errors import BridgeError
from .auth import KEYRING_ENTRY, KEYRING_SERVICE, MIN_LENGTH, ApiKeyMissing, load_api_key
from .build import ServeOptions, build_session
from .limits import ServerLimits


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fidus-bridge", description="FIDUS MT5 bridge server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the bridge")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="serve the demo terminal instead of MetaTrader 5")
    serve.add_argument("--seed", type=int, default=1, help="demo terminal seed")
    serve.add_argument("--terminal-path", default="",
                       help="full path of terminal64.exe (required when several terminals are installed)")
    serve.add_argument("--portable", action="store_true",
                       help="the terminal was installed /portable (needs --terminal-path)")
    serve.add_argument("--login", type=int, default=0, help="account to log in at start-up")
    serve.add_argument("--server", default="", help="broker server of --login")
    serve.add_argument("--accounts", default="", help="comma-separated logins this bridge serves")
    serve.add_argument("--accounts-file", default="", help="JSON list of accounts with their fund labels")
    serve.add_argument("--server-utc-offset", type=float, default=2.0, help="broker clock offset in winter (hours)")
    serve.add_argument("--server-dst", choices=("none", "eu", "us"), default="eu", help="broker summer-time rule")
    serve.add_argument("--snapshot-ttl", type=float, default=1.0, help="seconds an account snapshot is reused")
    serve.add_argument("--timeout", type=float, default=10.0, help="seconds per MT5 request")
    defaults = ServerLimits()
    serve.add_argument("--header-timeout", type=float, default=defaults.header_timeout,
                       help="seconds a client has to send a whole request before it is disconnected")
    serve.add_argument("--max-connections", type=int, default=defaults.max_connections,
                       help="open connections at most; more are closed at once")
    serve.add_argument("--max-history-days", type=int, default=defaults.max_history_days,
                       help="the longest deal or order history one request may ask for")
    serve.add_argument("--log-file", default="", help="also log to this rotating file")
    serve.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    sub.add_parser("set-key", help="store the API key in the keyring (read from the terminal, never echoed)")
    password = sub.add_parser("set-password", help="store an MT5 account's password in this machine's keyring "
                              "(read from the terminal, never echoed), for the bridge's account switches")
    password.add_argument("login", type=int, help="the MT5 login")
    password.add_argument("--stdin", action="store_true", help="read the password from standard input")
    password.add_argument("--delete", action="store_true", help="remove the stored password instead")
    return parser


def _logging(level: str, log_file: str) -> None:
    from pathlib import Path

    setup_logging(Path(log_file) if log_file else None, getattr(logging, level.upper()))
    console = logging.StreamHandler(sys.stdout)
    console.setLevel(getattr(logging, level.upper()))
    console.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console._fidus = True  # type: ignore[attr-defined]  # replaced, not duplicated, by a later setup
    logging.getLogger().addHandler(console)


def _accounts(text: str) -> tuple[int, ...]:
    try:
        logins = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ValueError(f"--accounts must be account numbers separated by commas, not {text[:60]!r}") from None
    if any(login <= 0 for login in logins):
        raise ValueError("--accounts must be positive account numbers")
    return logins


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .protocol import server_config

    try:
        key = load_api_key()
    except ApiKeyMissing as exc:
        print(f"fidus-bridge: {exc}", file=sys.stderr)
        return 2
    _logging(args.log_level, args.log_file)
    limits = ServerLimits(header_timeout=args.header_timeout, max_connections=args.max_connections,
                          max_history_days=args.max_history_days)
    try:
        options = ServeOptions(
            demo=args.demo, seed=args.seed, terminal_path=args.terminal_path, portable=args.portable, login=args.login,
            server=args.server,
            accounts=_accounts(args.accounts), accounts_file=args.accounts_file,
            server_utc_offset=args.server_utc_offset, server_dst=args.server_dst, snapshot_ttl=args.snapshot_ttl,
            request_timeout=args.timeout, limits=limits)
        session = build_session(options)
    except (BridgeError, ValueError, OSError) as exc:
        print(f"fidus-bridge: {exc}", file=sys.stderr)
        return 2
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger(__name__).warning(
            "listening on %s: put TLS (a reverse proxy) and a firewall rule for the app's address in front", args.host)
    # uvicorn's own access log prints query strings; ours (structured, no query) replaces it.
    config = server_config(create_app(session, key), host=args.host, port=args.port, limits=limits,
                           access_log=False, log_config=None)
    uvicorn.Server(config).run()
    return 0


def _set_key() -> int:
    key = getpass.getpass("Bridge API key: ")
    if len(key) < MIN_LENGTH:
        print(f"fidus-bridge: the key must have at least {MIN_LENGTH} characters", file=sys.stderr)
        return 2
    store = SecretStore(service=KEYRING_SERVICE)
    store.set(KEYRING_ENTRY, key)
    if not store.persistent:
        print("fidus-bridge: no keyring on this machine; set MT5_BRIDGE_API_KEY instead", file=sys.stderr)
        return 1
    print("Key stored in the keyring.")
    return 0


def _set_password(login: int, *, from_stdin: bool, delete: bool) -> int:
    """The MT5 password of ``login`` in this machine's keyring (service ``fidus-bridge``, entry
    ``mt5-password-<login>``): what the bridge's account switches read. Never in a file."""
    if login <= 0:
        print("fidus-bridge: the login must be a positive number", file=sys.stderr)
        return 2
    store = SecretStore(service=KEYRING_SERVICE)
    entry = f"mt5-password-{login}"
    if delete:
        store.delete(entry)
        print(f"Password of {login} removed from the keyring.")
        return 0
    password = sys.stdin.readline().rstrip("\r\n") if from_stdin else getpass.getpass(f"MT5 password of {login}: ")
    if not password:
        print("fidus-bridge: no password given; nothing stored", file=sys.stderr)
        return 2
    store.set(entry, password)
    if not store.persistent:
        print(f"fidus-bridge: no keyring on this machine; set MT5_PWD_{login} instead", file=sys.stderr)
        return 1
    print(f"Password of {login} stored in the keyring.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "set-key":
        return _set_key()
    if args.command == "set-password":
        return _set_password(args.login, from_stdin=args.stdin, delete=args.delete)
    return _serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
