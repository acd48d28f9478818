"""``investments`` in its four shapes (reference §4). We write back the shape we read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...domain.funds import PaymentFrequency, normalize_fund_code
from ...domain.investments import Investment, InvestmentShape, InvestmentStatus
from ...domain.referrals import salesperson_key
from ...domain.values import ZERO, read_account_number
from ..problems import UntrustedValue, shown
from ..spec import CollectionSpec
from .fields import (
    DatetimeStamps,
    Doc,
    as_decimal128,
    as_double,
    first,
    fund_code,
    fund_code_forms,
    identifier,
    indexed,
    moment,
    money,
    refusal,
    text,
    whole_document,
)
from .referrals import salesperson_forms

_PRODUCT_NAMES = ("fund_type", "fund_code", "product")
_PRINCIPAL_NAMES = ("principal_amount", "amount", "initial_amount")
_START_NAMES = ("start_date", "investment_date", "deposit_date", "created_at")
_SALESPERSON_NAMES = ("salesperson_id", "referral_salesperson_id", "referred_by")


def _salesperson(doc: Doc) -> str:
    """``sp_<hex>`` whether the document holds that string or the referral seed's ObjectId."""
    return salesperson_key(first(doc, *_SALESPERSON_NAMES))


def _product(doc: Doc) -> str:
    return normalize_fund_code(first(doc, *_PRODUCT_NAMES))


def _shape(doc: Doc) -> InvestmentShape:
    if doc.get("fund_code") and not doc.get("fund_type"):
        return InvestmentShape.API_CREATE
    if doc.get("principal_amount") is None:
        return InvestmentShape.MINIMAL
    if hasattr(doc.get("principal_amount"), "to_decimal"):
        return InvestmentShape.REFERRAL_SEED
    return InvestmentShape.CURRENT


#: No product pays more than this a month; a higher rate is a typo that would inflate every payment.
MAX_MONTHLY_RATE = Decimal("0.2")


def _monthly_rate(doc: Doc) -> Decimal | None:
    rate = money(doc, "interest_rate", low=ZERO)
    if not rate:
        return None  # missing or 0 means "the product's rate" (reference §5.1)
    # Investments hold fractions (0.015) but the fund configuration holds percents (1.5): no
    # fund pays 100 % a month, so a rate of 1 or more is a percentage.
    rate = rate / 100 if rate >= 1 else rate
    if rate > MAX_MONTHLY_RATE:
        raise UntrustedValue("interest_rate", f"{shown(doc.get('interest_rate'))} a month is beyond any "
                             f"product's rate ({MAX_MONTHLY_RATE:%} at most)")
    return rate


def _status(doc: Doc) -> InvestmentStatus:
    status = InvestmentStatus.read(doc.get("status") if isinstance(doc.get("status"), str) else None)
    if not isinstance(status, InvestmentStatus):
        # Left out of AUM silently, it would make the figures quietly wrong: list it instead.
        raise UntrustedValue("status", f"{shown(doc.get('status'))} is not an investment status the app knows")
    return status


def _accounts(doc: Doc) -> tuple[int, ...]:
    accounts = doc.get("mt5_accounts") or ()
    if not isinstance(accounts, list | tuple):
        raise UntrustedValue("mt5_accounts", f"{shown(accounts)} is not a list of account numbers")
    try:
        return tuple(n for n in (read_account_number(a) for a in accounts) if n is not None)
    except ValueError as exc:
        raise UntrustedValue("mt5_accounts", str(exc)) from None


class InvestmentCodec(DatetimeStamps):
    spec = CollectionSpec(
        name="investments",
        key=indexed("investment_id", "text"),
        fields=(
            indexed("client_id", "text"),
            indexed("product", "text", *_PRODUCT_NAMES, reader=_product, raw_values=fund_code_forms),
            indexed("status", "text"),
            indexed("start_date", "datetime", *_START_NAMES),
            indexed("principal", "real", *_PRINCIPAL_NAMES),
            # Exact copies for the portfolio's figures, read without decoding documents.
            indexed("principal_amount", "decimal", *_PRINCIPAL_NAMES),
            indexed("interest_rate", "decimal", reader=_monthly_rate),
            indexed("client_name", "text"),
            indexed("shape", "text", reader=lambda d: _shape(d).value),
            indexed("salesperson_id", "text", *_SALESPERSON_NAMES, reader=lambda d: _salesperson(d) or None,
                    raw_values=salesperson_forms),
            # Why the codec refuses the document ("" when it reads it): the figures read the book
            # from query columns, and must leave out exactly what every other reader leaves out.
            whole_document("untrusted", lambda d: refusal(InvestmentCodec().decode, d)),
        ),
        compound_indexes=((("client_id", 1), ("status", 1)),),
    )

    def decode(self, doc: Doc) -> Investment:
        investment_id = identifier(doc, "investment_id")
        if not investment_id:
            raise UntrustedValue("investment_id", "missing")
        principal = money(doc, *_PRINCIPAL_NAMES, low=ZERO)
        if principal is None:
            raise UntrustedValue("principal_amount", "no principal_amount or amount")
        start = moment(doc, *_START_NAMES)
        if start is None:
            raise UntrustedValue("start_date", "no start_date, investment_date, deposit_date or created_at")
        product = fund_code(doc, *_PRODUCT_NAMES)
        if not product:
            raise UntrustedValue("fund_type", "no fund_type, fund_code or product")
        accounts = _accounts(doc)
        return Investment(
            investment_id=investment_id,
            client_id=identifier(doc, "client_id"),
            product=product,
            principal=principal,
            start_date=start,
            status=_status(doc),
            interest_rate=_monthly_rate(doc),
            payment_frequency=PaymentFrequency.read(doc.get("payment_frequency")),
            client_name=text(doc, "client_name"),
            mt5_accounts=accounts,
            salesperson_id=_salesperson(doc),
            created_at=moment(doc, "created_at"),
            updated_at=moment(doc, "updated_at"),
            shape=_shape(doc),
        )

    def encode(self, inv: Investment) -> dict[str, Any]:
        shape = inv.shape
        # Referral-seed documents hold money as Decimal128; everything else as doubles.
        amount = as_decimal128(inv.principal) if shape is InvestmentShape.REFERRAL_SEED else as_double(inv.principal)
        doc: dict[str, Any] = {
            "investment_id": inv.investment_id,
            "client_id": inv.client_id,
            "status": str(inv.status),
        }
        if shape is InvestmentShape.API_CREATE:
            doc.update(fund_code=inv.product, principal_amount=amount, deposit_date=inv.start_date)
        elif shape is InvestmentShape.MINIMAL:
            doc.update(fund_type=inv.product, amount=amount, initial_amount=amount,
                       start_date=inv.start_date.date().isoformat())
        else:
            doc.update(fund_type=inv.product, product=f"FIDUS_{inv.product}", principal_amount=amount,
                       amount=amount, initial_amount=amount, start_date=inv.start_date,
                       investment_date=inv.start_date)
        if inv.interest_rate is not None:
            doc["interest_rate"] = float(inv.interest_rate)
        if inv.payment_frequency is not None:
            doc["payment_frequency"] = inv.payment_frequency.value
        if inv.client_name:
            doc["client_name"] = inv.client_name
        if inv.mt5_accounts:
            doc["mt5_accounts"] = list(inv.mt5_accounts)
        if inv.salesperson_id:
            doc["salesperson_id"] = inv.salesperson_id
        if inv.created_at:
            doc["created_at"] = inv.created_at
        return doc

    def key_of(self, inv: Investment) -> str:
        return inv.investment_id
