"""``mt5_accounts`` (reference §7): keyed by the int ``account``; some writers used strings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.funds import normalize_fund_code
from ...domain.mt5_accounts import Mt5AccountLink
from ...domain.values import ZERO, iso_utc, read_account_number
from ..problems import UntrustedValue
from ..spec import CollectionSpec
from .fields import (
    Doc,
    as_double,
    first,
    first_named,
    fund_code,
    fund_code_forms,
    indexed,
    moment,
    money,
    text,
)

_ACCOUNT_NAMES = ("account", "account_number", "mt5_login", "login")


def _account(doc: Doc) -> int | None:
    return read_account_number(first(doc, *_ACCOUNT_NAMES))


class Mt5AccountCodec:
    spec = CollectionSpec(
        name="mt5_accounts",
        key=indexed("account", "int", *_ACCOUNT_NAMES, reader=_account),
        fields=(
            indexed("fund_type", "text", reader=lambda d: normalize_fund_code(d.get("fund_type")) or None,
                    raw_values=fund_code_forms),
            indexed("manager_name", "text"),
            indexed("status", "text"),
        ),
        # Some of the original's scripts stored a plaintext MT5 password here too.
        secret_fields=("password",),
    )

    def decode(self, doc: Doc) -> Mt5AccountLink:
        try:
            account = _account(doc)
        except ValueError as exc:
            raise UntrustedValue(first_named(doc, *_ACCOUNT_NAMES)[0], str(exc)) from None
        if account is None or account <= 0:
            raise UntrustedValue("account", "no account number" if account is None else f"{account} is no login")
        return Mt5AccountLink(
            account=account,
            name=text(doc, "name", "description"),
            broker=text(doc, "broker", "broker_name"),
            server=text(doc, "server", "mt5_server"),
            platform=text(doc, "platform") or "MT5",
            fund_type=fund_code(doc, "fund_type"),
            manager_name=text(doc, "manager_name", "manager"),
            status=text(doc, "status") or "active",
            account_type=text(doc, "account_type") or "live",
            capital_source=text(doc, "capital_source"),
            initial_allocation=money(doc, "initial_allocation", low=ZERO),
            balance=money(doc, "balance"),
            equity=money(doc, "equity", "current_equity"),
            # Bridges stamp ``updated_at`` when they sync; our own edits stamp ``last_allocation_update``.
            last_sync=moment(doc, "last_sync_timestamp", "last_sync", "updated_at"),
        )

    def encode(self, a: Mt5AccountLink) -> dict[str, Any]:
        # Never a password: MT5 passwords live in the OS keyring only.
        doc: dict[str, Any] = {
            "account": a.account,
            "name": a.name,
            "broker": a.broker,
            "server": a.server,
            "platform": a.platform,
            "fund_type": a.fund_type,
            "manager_name": a.manager_name,
            "status": a.status,
            "account_type": a.account_type,
        }
        if a.capital_source:
            doc["capital_source"] = a.capital_source
        for name, value in (("initial_allocation", a.initial_allocation), ("balance", a.balance),
                            ("equity", a.equity)):
            if value is not None:
                doc[name] = as_double(value)
        if a.last_sync:
            doc["last_sync_timestamp"] = a.last_sync
        return doc

    def key_of(self, a: Mt5AccountLink) -> str:
        return str(a.account)

    def stamp_update(self, changes: dict[str, Any], now: datetime) -> None:
        # As the original's assignment edit does: ``updated_at`` is the bridges' sync time here.
        changes["last_allocation_update"] = iso_utc(now)

    def stamp_create(self, doc: dict[str, Any], now: datetime) -> None:
        doc.setdefault("created_at", now)
