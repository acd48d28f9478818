"""Assembling a bridge from options: which terminal, which accounts, which broker clock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fidus_desktop.domain.values import read_decimal
from fidus_desktop.fileio import JsonFileError, read_json_file
from fidus_desktop.secrets import SecretStore

from ..direct import DirectSource
from ..errors import BridgeError, ErrorReason
from ..models import INT64_MAX, AccountRef
from ..server_time import ServerZone
from ..terminals import find_terminals, terminal_problem
from .auth import KEYRING_SERVICE
from .limits import ServerLimits
from .session import AccountMeta, BridgeSession, PasswordBook


@dataclass(frozen=True, slots=True)
class ServeOptions:
    demo: bool = False
    seed: int = 1
    terminal_path: str = ""
    #: The terminal was installed /portable (its data folder is its install folder).
    portable: bool = False
    login: int = 0
    server: str = ""
    accounts: tuple[int, ...] = ()
    accounts_file: str = ""
    server_utc_offset: float = 2.0
    server_dst: str = "eu"
    snapshot_ttl: float = 1.0
    request_timeout: float = 10.0
    limits: ServerLimits = ServerLimits()


def demo_directory() -> dict[int, AccountMeta]:
    from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS

    return {a.login: AccountMeta(a.login, a.name, a.fund_type, a.manager_name, a.initial_allocation, a.server)
            for a in DEMO_ACCOUNTS}


def read_accounts_file(path: str) -> dict[int, AccountMeta]:
    """``[{"login": 123, "name": "...", "fund_type": "CORE", "provider": "...", "target_amount": 1000}]``.

    Labels only: a ``password`` key is refused, so no secret ever sits beside the bridge in a file.
    Read as Notepad saves it (UTF-8 with or without a BOM, or UTF-16); every mistake is a
    ``ValueError`` that names the file and where in it.
    """
    # With or without a BOM (Notepad on Windows Server); a syntax error names its line and column.
    try:
        rows: Any = read_json_file(Path(path))
    except JsonFileError as exc:  # the whole path: a service's working folder is rarely obvious
        raise ValueError(f"{path}{str(exc).removeprefix(Path(path).name)}") from None
    if not isinstance(rows, list):
        raise ValueError(f"{path}: the accounts file must hold a JSON list")
    directory: dict[int, AccountMeta] = {}
    for number, row in enumerate(rows, 1):
        where = f"{path}: account {number}"
        if not isinstance(row, dict):
            raise ValueError(f"{where} is not a JSON object")
        if "password" in row:
            raise ValueError(f"{path}: the accounts file must not hold passwords: use MT5_PWD_<login> or the keyring")
        login = row.get("login")
        if isinstance(login, str) and login.strip().isdigit():
            login = int(login.strip())
        if not isinstance(login, int) or isinstance(login, bool) or not 0 < login <= INT64_MAX:
            raise ValueError(f"{where}: 'login' must be a positive account number")
        labels = {}
        for key in ("name", "fund_type", "provider", "server"):
            value = row.get(key, "")
            if not isinstance(value, str):
                raise ValueError(f"{where}: '{key}' must be text")
            labels[key] = value
        try:
            target = read_decimal(row.get("target_amount"))
        except ValueError:
            raise ValueError(f"{where}: 'target_amount' must be a number") from None
        if target is not None and (not target.is_finite() or not 0 <= target < 10**15):
            raise ValueError(f"{where}: 'target_amount' must be a positive amount")
        directory[login] = AccountMeta(login, labels["name"], labels["fund_type"], labels["provider"], target,
                                       labels["server"])
    return directory


def build_session(options: ServeOptions, secrets: SecretStore | None = None) -> BridgeSession:
    if options.demo:
        from ..demo_terminal import DemoTerminal

        module: Any = DemoTerminal(seed=options.seed)
        zone = module.zone
        directory = demo_directory()
        name, mode = "demo terminal", "demo"
    else:
        # The accounts file first: its mistakes are worth reporting on any machine.
        directory = read_accounts_file(options.accounts_file) if options.accounts_file else {}
        try:
            import MetaTrader5 as module  # noqa: N813 - Windows-only dependency
        except ImportError as exc:
            raise BridgeError(ErrorReason.NOT_CONNECTED, "The MetaTrader5 package is only available on Windows; "
                              "use --demo elsewhere.") from exc
        # With several terminals installed and no path, the module may attach to the wrong one.
        if problem := terminal_problem(options.terminal_path, options.portable,
                                       () if options.terminal_path else find_terminals()):
            raise BridgeError(ErrorReason.NOT_CONNECTED, problem.replace("the terminal path", "--terminal-path"))
        zone = ServerZone(options.server_utc_offset, options.server_dst)  # type: ignore[arg-type]
        for login in (options.login, *options.accounts):
            if login and login not in directory:
                directory[login] = AccountMeta(login, server=options.server if login == options.login else "")
        name, mode = "direct terminal", "terminal"
    stores: list[SecretStore] = [secrets] if secrets else []

    def keyring_lookup(name: str) -> str | None:
        # Opened on first need: a demo bridge, or one fed by MT5_PWD_<login>, never touches the keyring.
        if not stores:
            stores.append(SecretStore(service=KEYRING_SERVICE))
        return stores[0].get(name)

    passwords = PasswordBook(None if options.demo else keyring_lookup)
    refs = [AccountRef(login=m.login, name=m.name, fund_type=m.fund_type, server=m.server) for m in directory.values()]
    source = DirectSource(module, name=name, path=options.terminal_path, portable=options.portable and not options.demo,
                          login=options.login, server=options.server,
                          password_for=passwords, zone=zone, accounts=refs, call_timeout=options.request_timeout)
    return BridgeSession(source, directory, passwords=passwords, snapshot_ttl=options.snapshot_ttl,
                         request_timeout=options.request_timeout, mode=mode, limits=options.limits)
