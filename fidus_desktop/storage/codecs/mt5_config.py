"""``mt5_account_config`` (reference §7): what a bridge logs into, keyed by the int ``account``.

Never a password: the original stored each MT5 password here in plain text. :meth:`decode`
ignores one found in a document (registering it with the log redactor, so it cannot reach a log
line by accident), :meth:`encode` has no such field, and the spec lists it in ``secret_fields``
so a migration between databases does not copy it either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.funds import normalize_fund_code
from ...domain.mt5_config import Mt5AccountConfig
from ...domain.values import iso_utc, read_account_number
from ...logs import register_secret
from ..spec import CollectionSpec
from .fields import (
    Doc,
    as_double,
    first,
    flag,
    fund_code_forms,
    indexed,
    moment,
    money,
    text,
)

_ACCOUNT_NAMES = ("account", "account_number", "login")
#: The actor our writes are stamped with (the original's ``created_by`` / ``last_modified_by``).
WRITER = "fidus-desktop"


def _account(doc: Doc) -> int | None:
    return read_account_number(first(doc, *_ACCOUNT_NAMES))


def _active(doc: Doc) -> bool:
    return flag(doc, "is_active") if "is_active" in doc else True


class Mt5AccountConfigCodec:
    spec = CollectionSpec(
        name="mt5_account_config",
        key=indexed("account", "int", *_ACCOUNT_NAMES, reader=_account),
        fields=(
            indexed("is_active", "bool", reader=_active),
            indexed("fund_type", "text", reader=lambda d: normalize_fund_code(d.get("fund_type")) or None,
                    raw_values=fund_code_forms),
        ),
        secret_fields=("password",),
    )

    def decode(self, doc: Doc) -> Mt5AccountConfig:
        account = _account(doc)
        if account is None:
            raise ValueError("no account number")
        secret = doc.get("password")
        if isinstance(secret, str):
            register_secret(secret)  # read, never used, never shown
        return Mt5AccountConfig(
            account=account,
            name=text(doc, "name"),
            server=text(doc, "server"),
            broker_name=text(doc, "broker_name", "broker"),
            fund_type=normalize_fund_code(doc.get("fund_type")),
            target_amount=money(doc, "target_amount"),
            is_active=_active(doc),
            initial_allocation=money(doc, "initial_allocation"),
            created_by=text(doc, "created_by"),
            last_modified_by=text(doc, "last_modified_by"),
            created_at=moment(doc, "created_at"),
            updated_at=moment(doc, "updated_at"),
        )

    def encode(self, c: Mt5AccountConfig) -> dict[str, Any]:
        doc: dict[str, Any] = {"account": c.account, "name": c.name, "server": c.server,
                               "broker_name": c.broker_name, "fund_type": c.fund_type, "is_active": c.is_active}
        for name, value in (("target_amount", c.target_amount), ("initial_allocation", c.initial_allocation)):
            if value is not None:
                doc[name] = as_double(value)
        return doc

    def key_of(self, c: Mt5AccountConfig) -> str:
        return str(c.account)

    def stamp_update(self, changes: dict[str, Any], now: datetime) -> None:
        # ISO strings, as the original's admin API writes them.
        changes["updated_at"] = iso_utc(now)
        changes["last_modified_by"] = WRITER

    def stamp_create(self, doc: dict[str, Any], now: datetime) -> None:
        doc.setdefault("created_at", iso_utc(now))
        doc["updated_at"] = iso_utc(now)
        doc.setdefault("created_by", WRITER)
