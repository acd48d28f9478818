"""``fidus-desktop report``: the JSON contract, against the embedded store and a MongoDB."""

import asyncio
import json
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from fidus_desktop import cli
from fidus_desktop.demo.fund import build_demo_fund, load_demo_fund
from fidus_desktop.domain.investments import InvestmentStatus
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore

from .conftest import client, investment


def run_report(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


async def fill(store: FundStore, *, demo_as_of: date | None = None) -> None:
    if demo_as_of:
        await load_demo_fund(store, seed=7, as_of=demo_as_of)
    else:
        await store.clients.add(client())
        await store.investments.add(investment("inv-core", "CORE", "10000"))


def embedded_fund(**kwargs) -> None:
    async def build():
        store = await FundStore.open(SqliteBackend(AppPaths.default().ensure().fund_db))
        try:
            await fill(store, **kwargs)
        finally:
            await store.close()
    asyncio.run(build())


def test_json_report_of_one_hand_computed_investment(capsys):
    embedded_fund()
    code, out, err = run_report(capsys, "--json", "--as-of", "2025-12-15", "--days", "30")
    assert code == 0, err
    report = json.loads(out)
    assert report["as_of"] == "2025-12-15"
    assert report["aum"] == {"total": "10000.00", "by_product": {
        "CORE": "10000.00", "BALANCE": "0.00", "DYNAMIC": "0.00", "UNLIMITED": "0.00"}}
    assert report["payments_due"] == [{"investment_id": "inv-core", "client_id": "client_ana",
                                       "client_name": "Ana Castro", "product": "CORE", "date": "2025-12-30",
                                       "amount": "150.00", "kind": "interest"}]
    assert report["pipeline"] == {"lead": 0, "qualified": 0, "proposal": 0, "negotiation": 0, "won": 0, "lost": 0}
    assert report["overdue"] == {"count": 0, "total": "0.00"}


def test_days_widen_the_window_and_principal_is_its_own_kind(capsys):
    embedded_fund()
    code, out, _ = run_report(capsys, "--json", "--as-of", "2026-11-01", "--days", "30")
    due = json.loads(out)["payments_due"]
    assert [(p["date"], p["kind"], p["amount"]) for p in due] == [
        ("2026-11-25", "interest", "150.00"), ("2026-12-01", "principal", "10000.00")]


def test_json_report_on_the_demo_fund_matches_its_records(capsys):
    as_of = date(2026, 3, 1)
    embedded_fund(demo_as_of=as_of)
    code, out, _ = run_report(capsys, "--json", "--as-of", as_of.isoformat(), "--days", "90")
    assert code == 0
    report = json.loads(out)
    fund = build_demo_fund(7, as_of)
    active = [i for i in fund["investments"] if i.status == InvestmentStatus.ACTIVE]
    assert Decimal(report["aum"]["total"]) == sum(i.principal for i in active)
    assert report["pipeline"] == {s.value: n for s, n in Counter(p.stage for p in fund["prospects"]).items()}
    dates = [p["date"] for p in report["payments_due"]]
    assert dates == sorted(dates) and all("2026-03-01" <= d <= "2026-05-30" for d in dates)
    clients = {c.client_id for c in fund["clients"]}
    assert all(p["client_id"] in clients and p["kind"] in ("interest", "principal") for p in report["payments_due"])
    assert all(len(p["amount"].split(".")[1]) == 2 for p in report["payments_due"])


def test_text_report_reads_like_a_summary(capsys):
    embedded_fund()
    code, out, _ = run_report(capsys, "--as-of", "2025-12-15")
    assert code == 0
    assert "Assets under management" in out and "10,000.00" in out
    assert "2025-12-30" in out and "Ana Castro" in out and "150.00" in out


def test_missing_embedded_database_is_a_readable_failure(capsys):
    code, out, err = run_report(capsys, "--json")
    assert code == 2 and out == "" and "no fund database" in err


def test_mongo_uri_given_before_the_command_is_kept():
    args = cli.build_parser().parse_args(["--mongo-uri", "mongodb://h", "--database", "d", "report", "--json"])
    assert (args.mongo_uri, args.database) == ("mongodb://h", "d")
    args = cli.build_parser().parse_args(["report", "--mongo-uri", "mongodb://h2"])
    assert args.mongo_uri == "mongodb://h2"


@pytest.mark.mongo
async def test_json_report_against_mongodb(capsys, mongo_backend, mongo_server, mongo_database_name):
    store = await FundStore.open(mongo_backend)
    await fill(store)
    code = await asyncio.to_thread(cli.main, ["report", "--json", "--as-of", "2025-12-15", "--mongo-uri",
                                              mongo_server.uri, "--database", mongo_database_name])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["aum"]["total"] == "10000.00"
    assert [(p["date"], p["amount"]) for p in report["payments_due"]] == [("2025-12-30", "150.00")]
    assert report["source"].startswith("MongoDB 127.0.0.1")


def test_json_report_has_the_money_still_to_go_out(capsys):
    as_of = date(2026, 3, 1)
    embedded_fund(demo_as_of=as_of)
    code, out, err = run_report(capsys, "--json", "--as-of", as_of.isoformat())
    assert code == 0, err
    report = json.loads(out)
    fund = build_demo_fund(7, as_of)
    [asked] = fund["redemptions"]  # the demo's one request waiting for approval
    assert report["redemptions_pending"] == {"count": 1, "total": f"{asked.requested_amount:.2f}", "requests": [{
        "id": asked.redemption_id, "client_id": asked.client_id, "investment_id": asked.investment_id,
        "status": "pending", "requested_amount": f"{asked.requested_amount:.2f}",
        "requested_redemption_date": "2026-03-01"}]}
    due = report["commissions_due"]
    names = {s.salesperson_id: s.name for s in fund["salespeople"]}
    assert due["count"] == sum(p["count"] for p in due["by_salesperson"].values()) > 0
    assert Decimal(due["total"]) == sum(Decimal(p["total"]) for p in due["by_salesperson"].values())
    assert {k: p["name"] for k, p in due["by_salesperson"].items()}.items() <= names.items()
    fees = report["fees_due"]
    assert fees["high_water_mark"] is False and fees["management"] == "0.00"
    assert set(fees["by_manager"]) == {m.manager_id for m in fund["money_managers"]}
    assert Decimal(fees["total"]) == sum(Decimal(m["fee"] or 0) for m in fees["by_manager"].values()) > 0
    keeps = {k: Decimal(v) for k, v in report["fund_keeps"].items()}
    assert keeps["kept"] == (keeps["equity"] - keeps["principal"] - keeps["interest_accrued"]
                             - keeps["commissions_due"] - keeps["fees_due"])
    assert keeps["commissions_due"] == Decimal(due["total"]) and keeps["fees_due"] == Decimal(fees["total"])


def test_report_help_documents_the_money_fields(capsys):
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for field in ("redemptions_pending", "commissions_due", "fees_due", "high_water_mark", "decimal strings"):
        assert field in out
