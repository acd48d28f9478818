"""One bad document never stops a report and never corrupts a figure: it is left out, listed with
its collection, key, field and reason, and every other figure stays what it was. On both
backends (the shared MongoDB is where such documents come from)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from bson import Decimal128

from fidus_desktop import cli
from fidus_desktop.commands.report import build_report
from fidus_desktop.demo.fund import load_demo_fund
from fidus_desktop.errors import StorageCorrupt
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage.query import Query
from fidus_desktop.storage.store import FundStore

AS_OF = date(2026, 3, 1)
START = datetime(2025, 10, 1, tzinfo=UTC)


def bad_investment(key: str, **fields: Any) -> dict[str, Any]:
    return {"investment_id": key, "client_id": "client_x", "fund_type": "CORE", "principal_amount": 100000.0,
            "status": "active", "start_date": START, **fields}


#: (collection, document, field named in the listing) as the issue found them, and siblings.
HOSTILE = {
    "wrong-typed amount": ("investments", bad_investment("bad-type", principal_amount={"x": 1}), "principal_amount"),
    "NaN amount": ("investments", bad_investment("bad-nan", principal_amount=float("nan")), "principal_amount"),
    "NaN Decimal128": ("investments", bad_investment("bad-d128", principal_amount=Decimal128("NaN")),
                       "principal_amount"),
    "1e308 amount": ("investments", bad_investment("bad-huge", principal_amount=1e308), "principal_amount"),
    "negative principal": ("investments", bad_investment("bad-neg", principal_amount=-5_000_000.0),
                           "principal_amount"),
    "year-9999 date": ("investments", bad_investment("bad-9999", start_date=datetime(9999, 6, 1, tzinfo=UTC)),
                       "start_date"),
    "operator as fund code": ("investments", bad_investment("bad-op", fund_type={"$gt": ""}), "fund_type"),
    "unknown status": ("investments", bad_investment("bad-status", status="actve"), "status"),
    "monthly rate of 150": ("investments", bad_investment("bad-rate", interest_rate=150), "interest_rate"),
    "operator as client": ("investments", bad_investment("bad-client", client_id={"$ne": None}), "client_id"),
    "a billion payments": ("fund_products", {"code": "CORE2", "name": "x", "monthly_rate": Decimal128("0.01"),
                                             "payment_frequency": "monthly", "first_payment_days": 30,
                                             "interval_days": 30, "regular_payments": 10**9}, "regular_payments"),
    "MT5 equity 1e308": ("mt5_accounts", {"account": 990001, "fund_type": "CORE", "status": "active",
                                          "equity": 1e308}, "equity"),
    "MT5 operator fund": ("mt5_accounts", {"account": 990002, "fund_type": {"$gt": ""}, "status": "active",
                                           "equity": 5_000_000.0}, "fund_type"),
    "payment in 9999": ("activity_logs", {"log_id": "bad-log", "activity_type": "interest_paid",
                                          "timestamp": datetime(9999, 1, 1, tzinfo=UTC), "investment_id": "x",
                                          "details": {"due_date": "2026-01-01"}}, "timestamp"),
    # Counted in the pipeline from query columns: refused there as everywhere else.
    "prospect estimate of -1e308": ("crm_prospects", {"prospect_id": "bad-prospect", "name": "x",
                                                      "stage": "qualified", "estimated_value": -1e308},
                                    "estimated_value"),
}


async def demo(store: FundStore) -> None:
    await load_demo_fund(store, seed=7, as_of=AS_OF)


def figures(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "skipped"}


async def insert(store: FundStore, collection: str, doc: dict[str, Any]) -> None:
    repo = next(r for r in store.repositories() if r.spec.name == collection)
    await repo.insert_documents([doc])


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_a_document_the_app_cannot_trust_is_left_out_and_listed(fund_store: FundStore, case: str) -> None:
    collection, doc, field = HOSTILE[case]
    await demo(fund_store)
    before = await build_report(fund_store, AS_OF, 90)
    assert before["skipped"] == []
    await insert(fund_store, collection, doc)
    after = await build_report(fund_store, AS_OF, 90)
    # Before the fix: exit 2, InvalidOperation, OverflowError, a negative AUM, a product named
    # "{'$GT': ''}", or a status silently left out.
    assert figures(after) == figures(before)
    [skipped] = after["skipped"]
    key = str(next(r for r in fund_store.repositories() if r.spec.name == collection).spec.key.extract(doc))
    assert (skipped["collection"], skipped["key"], skipped["field"]) == (collection, key, field)
    assert skipped["reason"]


async def test_every_bad_document_at_once_changes_no_figure(fund_store: FundStore) -> None:
    await demo(fund_store)
    before = await build_report(fund_store, AS_OF, 30)
    for collection, doc, _ in HOSTILE.values():
        await insert(fund_store, collection, doc)
    after = await build_report(fund_store, AS_OF, 30)
    assert figures(after) == figures(before)
    assert len(after["skipped"]) == len(HOSTILE)
    assert fund_store.problems.counts() == {"activity_logs": 1, "crm_prospects": 1, "fund_products": 1,
                                            "investments": 10, "mt5_accounts": 2}


async def test_reading_the_bad_record_itself_names_it(fund_store: FundStore) -> None:
    await insert(fund_store, "investments", HOSTILE["NaN amount"][1])
    with pytest.raises(StorageCorrupt, match=r"'investments' \(bad-nan\).*principal_amount: not a finite number"):
        await fund_store.investments.get("bad-nan")


async def test_a_corrected_document_is_no_longer_listed(fund_store: FundStore) -> None:
    await insert(fund_store, "investments", HOSTILE["negative principal"][1])
    assert await fund_store.investments.find() == [] and len(fund_store.problems) == 1
    collection = fund_store.backend.collection(fund_store.investments.spec)
    [stored] = await collection.find(Query())
    await collection.update(stored, {"principal_amount": 5_000_000.0})  # someone fixed it in the database
    [inv] = await fund_store.investments.find()
    assert inv.principal == 5_000_000 and len(fund_store.problems) == 0


def test_the_report_command_lists_what_it_left_out_in_text_and_json(capsys) -> None:
    import asyncio

    from fidus_desktop.storage.sqlite import SqliteBackend

    async def build() -> None:
        store = await FundStore.open(SqliteBackend(AppPaths.default().ensure().fund_db))
        try:
            await demo(store)
            await insert(store, *HOSTILE["negative principal"][:2])
            await insert(store, *HOSTILE["year-9999 date"][:2])
        finally:
            await store.close()

    asyncio.run(build())
    assert cli.main(["report", "--json", "--as-of", AS_OF.isoformat()]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(s["key"], s["field"]) for s in report["skipped"]] == [("bad-9999", "start_date"),
                                                                  ("bad-neg", "principal_amount")]
    assert not report["aum"]["total"].startswith("-")
    assert cli.main(["report", "--as-of", AS_OF.isoformat()]) == 0
    text = capsys.readouterr().out
    assert "Left out of every figure above: 2 record(s)" in text
    assert "bad-neg" in text and "-5000000.0 is below 0" in text and "9999-06-01 is outside" in text
