"""Linking MT5 accounts to the fund, and the accounts a bridge or terminal logs into (issue 10 item 5).

``mt5_accounts``: an account serves a fund (``fund_type``), is traded by a money manager
(``manager_name``) and is ``active`` or ``inactive`` — the three fields the original lets the
manager edit (``PATCH /accounts/{n}/assign``), which stamp ``last_allocation_update`` (the codec
does). The Portfolio's fund revenue follows: its service reloads the accounts on the
``Changes.mt5_accounts`` this write publishes. An account the source serves but the fund has no
record of gets one.

``mt5_account_config``: the accounts a bridge logs into. Added here, removed as the original's
API does (``is_active: false``, so the web platform's bridge stops logging in and the history
stays). The MT5 password never reaches the database: it goes to this computer's keyring
(``<mt5.password_secret>-<login>``, read by the direct source); a bridge reads its own
machine's keyring (``fidus-bridge set-password`` on the VPS, see docs/bridge.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..domain.funds import normalize_fund_code
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.mt5_config import Mt5AccountConfig
from ..domain.values import iso_utc, utc_now
from ..errors import StorageUnavailable, ValidationError
from ..lanes import shared_lanes
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.writes import Insert
from .investments import _read_or, _store, parse_amount

if TYPE_CHECKING:
    from ..app_context import AppContext

#: The funds an MT5 account can serve (SEPARATION holds the profits taken out of the others).
FUND_CODES = ("CORE", "BALANCE", "DYNAMIC", "UNLIMITED", "SEPARATION")
STATUSES = ("active", "inactive")


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the manager sets on an account (as typed: the fund in any of its spellings)."""

    account: int
    fund_type: str
    manager_name: str
    status: str


def assignment_problems(a: Assignment) -> dict[str, str]:
    problems = {}
    if normalize_fund_code(a.fund_type) not in ("", *FUND_CODES):
        problems["fund_type"] = f"The fund is one of {', '.join(FUND_CODES)} (or none)."
    if a.status not in STATUSES:
        problems["status"] = "The status is active or inactive."
    if len(a.manager_name) > 200:
        problems["manager_name"] = "A manager's name is at most 200 characters."
    return problems


def _changed(before: Mt5AccountLink | None, after: Mt5AccountLink) -> dict[str, dict[str, str]]:
    return {name: {"from": getattr(before, name) if before else "", "to": getattr(after, name)}
            for name in ("fund_type", "manager_name", "status")
            if before is None or getattr(before, name) != getattr(after, name)}


async def assign_account(context: AppContext, assignment: Assignment, *, read: Mt5AccountLink | None = None,
                         name: str = "", server: str = "") -> tuple[Mt5AccountLink, WriteResult | None]:
    """Set an account's fund, manager and status. ``read``: the record the screen showed (used
    when the database is away: the change is then queued); ``name``/``server``: for a new record.
    Returns the record as it is (or will be, once queued) and the write's result (``None`` when
    nothing changed)."""
    problems = assignment_problems(assignment)
    if problems:
        raise ValidationError("The account was not changed: " + " ".join(problems.values()), problems)
    store = _store(context)
    key = str(assignment.account)
    try:
        before = await store.mt5_accounts.find_one(key)
    except StorageUnavailable:
        if read is None:
            raise
        before = store.mt5_accounts.as_read(read) if read.is_stored else read
    fields = {"fund_type": normalize_fund_code(assignment.fund_type), "manager_name": assignment.manager_name.strip(),
              "status": assignment.status}
    now = utc_now()
    if before is None or not before.is_stored:
        after = Mt5AccountLink(account=assignment.account, name=name, server=server, **fields)
        doc = store.mt5_accounts.new_document(after, now)
        doc["last_allocation_update"] = iso_utc(now)
        writes: tuple = (Insert("mt5_accounts", doc, if_exists="conflict"),)
        kind, verb = "mt5_account.create", "linked"
    else:
        after = before.evolve(**fields)
        patch = store.mt5_accounts.patch_of(after, now)  # stamps last_allocation_update
        if patch is None:
            return before, None
        writes, kind, verb = (patch,), "mt5_account.assign", "reassigned"
    changes = _changed(before if before is not None and before.is_stored else None, after)
    summary = ", ".join(f"{k} {v['from'] or '-'} -> {v['to'] or '-'}" for k, v in changes.items())
    op = Operation(kind, writes, Audit(
        activity_type="mt5_account_assigned", description=f"MT5 account {assignment.account} {verb}: {summary}",
        fund_code=after.fund_type, details={"account": assignment.account, "changes": changes}))
    result = await context.writer.submit(op)
    if result.saved:
        after = await store.mt5_accounts.get(key)
    _show(context, after)
    return after, result


def _show(context: AppContext, link: Mt5AccountLink) -> None:
    from .mt5_monitor import Mt5MonitorService

    monitor = context.service(Mt5MonitorService)
    if monitor is not None:
        monitor.put_link(link)


# --- mt5_account_config -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ConfigDraft:
    account: int | str
    name: str = ""
    server: str = ""
    broker_name: str = ""
    fund_type: str = ""
    initial_allocation: Decimal | str | None = None
    target_amount: Decimal | str | None = None


def _login(value: int | str) -> int | None:
    try:
        login = int(str(value).strip())
    except ValueError:
        return None
    return login if 0 < login < 2**63 else None


def config_problems(draft: ConfigDraft) -> dict[str, str]:
    problems = {}
    if _login(draft.account) is None:
        problems["account"] = "Enter the MT5 login (a positive number)."
    if normalize_fund_code(draft.fund_type) not in ("", *FUND_CODES):
        problems["fund_type"] = f"The fund is one of {', '.join(FUND_CODES)} (or none)."
    for name in ("initial_allocation", "target_amount"):
        value = getattr(draft, name)
        if value not in (None, "") and ((amount := parse_amount(value)) is None or amount < 0):
            problems[name] = "Enter an amount, e.g. 250000 or 250,000.00."
    if not draft.server.strip():
        problems["server"] = "Enter the broker's MT5 server (e.g. MEXAtlantic-Real)."
    return problems


def _amount(value: Decimal | str | None) -> Decimal | None:
    return None if value in (None, "") else parse_amount(value)  # type: ignore[arg-type]


def password_entry(context: AppContext, login: int) -> str:
    return f"{context.settings.mt5.password_secret}-{login}"


async def add_config(context: AppContext, draft: ConfigDraft, *, password: str = "") -> tuple[Mt5AccountConfig, WriteResult]:
    """Add an account for the bridge or terminal to log into (or bring a removed one back).
    ``password``, if given, goes to this computer's keyring only."""
    problems = config_problems(draft)
    if problems:
        raise ValidationError("The account was not added: " + " ".join(problems.values()), problems)
    login = _login(draft.account)
    assert login is not None
    store = _store(context)
    fields = dict(name=draft.name.strip(), server=draft.server.strip(), broker_name=draft.broker_name.strip(),
                  fund_type=normalize_fund_code(draft.fund_type), initial_allocation=_amount(draft.initial_allocation),
                  target_amount=_amount(draft.target_amount), is_active=True)
    try:
        existing = await store.mt5_configs.find_one(str(login))
    except StorageUnavailable:  # queued as an insert: a different record there is a conflict then
        existing = None
    if existing is not None and existing.is_active:
        raise ValidationError(f"Account {login} is already configured.", {"account": "Already configured."})
    if password:  # before the record: a bridge must never find the account without its password
        entry = password_entry(context, login)
        await shared_lanes().io.run(lambda: context.secrets.set(entry, password), action="store the MT5 password")
    now = utc_now()
    if existing is not None:
        config = existing.evolve(**fields)
        patch = store.mt5_configs.patch_of(config, now)
        assert patch is not None  # is_active at least goes from False to True
        writes: tuple = (patch,)
    else:
        config = Mt5AccountConfig(account=login, **fields)
        writes = (Insert("mt5_account_config", store.mt5_configs.new_document(config, now)),)
    op = Operation("mt5_config.add", writes, Audit(
        activity_type="mt5_config_added", description=f"MT5 account {login} added for the bridge to log into",
        fund_code=config.fund_type, details={"account": login, "server": config.server,
                                             "password": "in the keyring" if password else "not given"}))
    result = await context.writer.submit(op)
    if result.saved:
        config = await store.mt5_configs.get(str(login))
    return config, result


async def remove_config(context: AppContext, config: Mt5AccountConfig, *,
                        forget_password: bool = False) -> tuple[Mt5AccountConfig, WriteResult | None]:
    """Stop logging into ``config``'s account (the original's soft delete); its history stays."""
    store = _store(context)
    current = await _read_or(store.mt5_configs.get(str(config.account)), config)
    if not current.is_active:
        return current, None
    removed = current.evolve(is_active=False)
    patch = store.mt5_configs.patch_of(removed, utc_now())
    assert patch is not None
    op = Operation("mt5_config.remove", (patch,), Audit(
        activity_type="mt5_config_removed", description=f"MT5 account {config.account} removed from the bridge's logins",
        fund_code=config.fund_type, details={"account": config.account}))
    result = await context.writer.submit(op)
    if forget_password:
        entry = password_entry(context, config.account)
        await shared_lanes().io.run(lambda: context.secrets.delete(entry), action="forget the MT5 password")
    return (await store.mt5_configs.get(str(config.account)) if result.saved else removed), result
