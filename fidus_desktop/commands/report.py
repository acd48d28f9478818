"""``fidus-desktop report``: the portfolio summary for scripts and scheduled e-mails.

    fidus-desktop report                       # text, payments due in the next 30 days
    fidus-desktop report --json --days 90      # the stable JSON contract below
    fidus-desktop report --mongo-uri mongodb+srv://... --database fidus_production --as-of 2026-03-01

The ``--json`` form is a stable contract, printed by ``fidus-desktop report --help``
(:data:`JSON_HELP`). The figures are the dashboard's (:mod:`fidus_desktop.portfolio`),
to the cent. A record the app cannot trust (a wrong-typed or non-finite amount, a negative
principal, a date outside 1900-2199, an operator where a fund code belongs, an unknown status)
is left out of every figure and listed under ``skipped``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date, timedelta
from typing import Any

EXIT_FAILED = 2
#: ``--days`` at most: a century of payments (a contract lasts 14 months).
MAX_DAYS = 36_600

JSON_HELP = """\
--json prints one object (stable: fields may be added, never renamed or removed; money as
decimal strings to the cent):

  {"as_of": "2026-03-01", "days": 30, "source": "SQLite on this computer",
   "aum": {"total": "3933000.00", "by_product": {"CORE": "301000.00", ...}},
   "payments_due": [{"investment_id", "client_id", "client_name", "product", "date", "amount",
                     "kind": "interest" | "principal"}],
   "overdue": {"count": 3, "total": "450.00"},
   "fund_revenue": {"CORE": {"equity": "317760.00" | null, "owed": "...", "revenue": "..." | null}},
   "pipeline": {"lead": 18, "qualified": 12, "proposal": 9, "negotiation": 8, "won": 7, "lost": 6},
   "redemptions_pending": {"count": 1, "total": "450.00", "requests": [{"id", "client_id",
                           "investment_id", "status": "pending" | "approved", "requested_amount",
                           "requested_redemption_date"}]},
   "commissions_due": {"count": 3, "total": "45.00",
                       "by_salesperson": {"sp_<hex>": {"name": "...", "count": 3, "total": "45.00"}}},
   "fees_due": {"total": "500.00", "performance": "500.00", "management": "0.00",
                "high_water_mark": false, "rebates": "12.63",
                "by_manager": {"manager_atlas": {"name": "...", "rate": "0.2" | null,
                                                 "true_pnl": "..." | null, "fee": "..." | null}}},
   "fund_keeps": {"equity", "principal", "interest_accrued", "commissions_due", "fees_due", "kept"},
   "skipped": [{"collection": "investments", "key": "inv-42", "field": "principal_amount",
                "reason": "-5000000.0 is below 0"}]}

"redemptions_pending": requests not yet paid out (pending or approved). "commissions_due":
referral commissions due on or before the day and not recorded as paid. "fees_due": the money
managers' performance fees accrued this month, as the original charges them (each account's
TRUE P&L x the rate, no high-water mark), plus management fees (0 in the original); transfers
out and lots traded come from the deals cached on this computer (none: they count 0).
"fund_keeps.kept" = equity - principal - interest_accrued - commissions_due - fees_due.

"skipped" lists the records left out of every figure because the app cannot trust them
(collection, key, field, reason); [] when there are none. The text form lists them last.
Exit status: 0 with a report (even with records skipped), 2 when no report could be made."""


def _iso_date(text: str) -> date:
    from ..domain.values import TRUSTED_FROM, TRUSTED_UNTIL

    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc
    first, last = TRUSTED_FROM.date(), TRUSTED_UNTIL.date() - timedelta(days=1)
    if not first <= day <= last:
        raise argparse.ArgumentTypeError(f"{text} is outside the dates a report can be about "
                                         f"({first} to {last})")
    return day


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from exc
    if not 0 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_DAYS:,} (a century), not {value:,}")
    return value


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="print the portfolio summary (AUM, payments due, pipeline, what the fund keeps)",
        description="Print AUM per product, the payments due in the next days, the CRM pipeline, pending "
                    "redemptions, referral commissions and manager fees due, from the configured fund database. Records the app cannot trust are left out of "
                    "every figure and listed.",
        epilog=JSON_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the stable JSON form below, for scripts")
    parser.add_argument("--days", type=_days, default=30, metavar="N",
                        help=f"payments due from today to N days ahead (default 30, at most {MAX_DAYS:,})")
    parser.add_argument("--as-of", type=_iso_date, metavar="DATE", help="take DATE (YYYY-MM-DD) as today")
    # SUPPRESS: given before the command (``fidus-desktop --mongo-uri X report``) they must survive.
    from ..cli import mongo_uri

    parser.add_argument("--mongo-uri", metavar="URI", default=argparse.SUPPRESS, type=mongo_uri,
                        help="read this MongoDB instead of the configured store")
    parser.add_argument("--database", metavar="NAME", default=argparse.SUPPRESS,
                        help="MongoDB database name (default fidus_production, or the settings')")


def run(args: argparse.Namespace) -> int:
    from ..logs import redact

    try:
        return asyncio.run(_report(args))
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as exc:  # a readable line and exit 2, never a traceback with a URI in it
        print(redact(f"Report failed: {type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_FAILED


async def _report(args: argparse.Namespace) -> int:
    from ..app_context import AppContext, mongo_display, register_uri_secret
    from ..domain.values import utc_now
    from ..errors import FidusError
    from ..logs import redact
    from ..paths import AppPaths
    from ..storage.open import open_store

    context = AppContext.create(AppPaths.default())
    storage = context.settings.storage
    mongo_uri = getattr(args, "mongo_uri", None)
    database = getattr(args, "database", None) or storage.mongo_database
    if mongo_uri:
        register_uri_secret(mongo_uri)
        uri, source = mongo_uri, mongo_display(mongo_uri)
    else:
        try:
            target = context.storage_target()
        except FidusError as exc:
            print(redact(f"Report failed: {exc}"), file=sys.stderr)
            return EXIT_FAILED
        if target is None:
            print(f"Report failed: MongoDB is configured but no address is saved in the keyring "
                  f"(entry '{storage.mongo_uri_secret}'); pass --mongo-uri.", file=sys.stderr)
            return EXIT_FAILED
        if target.embedded_path is not None and not target.embedded_path.exists():
            print(f"Report failed: there is no fund database at {target.embedded_path} yet "
                  "(open FIDUS Desktop once, or run 'fidus-desktop migrate --from').", file=sys.stderr)
            return EXIT_FAILED
        uri, source = target.uri, target.display
        database = getattr(args, "database", None) or target.database or database
    try:
        store = await open_store(uri, database=database, timeout_seconds=storage.timeout_seconds)
    except FidusError as exc:
        print(redact(f"Report failed: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    cache = await _open_cache(context.paths.cache_db)
    try:
        report = await build_report(store, args.as_of or utc_now().date(), args.days, cache=cache)
    except FidusError as exc:
        print(redact(f"Report failed: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    finally:
        await store.close()
        if cache is not None:
            await cache.close()
    report["source"] = source
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_text(report, context.settings.fund_name))
    return 0


async def _open_cache(path: Any) -> Any:
    """This computer's local cache (MT5 deals for the managers' fees), if there is one."""
    from ..errors import FidusError
    from ..storage.cache import LocalCache

    if not path.exists():
        return None
    cache = LocalCache(path)
    try:
        await cache.open()
    except (FidusError, OSError):
        return None
    return cache


async def build_report(store: Any, as_of: date, days: int, *, cache: Any = None) -> dict[str, Any]:
    """The report as plain JSON-ready data (the contract in this module's docstring)."""
    from datetime import UTC, datetime, time, timedelta

    from ..domain.prospects import Stage
    from ..domain.values import to_cents
    from ..portfolio.calendar import select
    from ..portfolio.figures import compute_dashboard
    from ..portfolio.loader import load_book
    from ..storage.problems import untrusted_rows
    from ..services.payment_calendar import CalendarFilter, PaymentState

    def money(amount: Any) -> str | None:
        return None if amount is None else str(to_cents(amount))

    book = await load_book(store, as_of)
    dash = compute_dashboard(book)
    due = select(book, CalendarFilter(first=as_of, last=as_of + timedelta(days=days),
                                      states=frozenset({PaymentState.DUE}), commissions=False)).rows()
    due.sort(key=lambda r: (r.due, r.investment_id, r.number == 0))
    # Counted from query columns; a prospect the codec refuses counts nowhere and is listed.
    pipeline = dict.fromkeys((stage.value for stage in Stage), 0)
    stages = await store.prospects.project(("stage", "untrusted"))
    for problem in untrusted_rows("crm_prospects", stages):
        store.problems.record(problem)
    for _key, stage, untrusted in stages:
        if not untrusted and stage in pipeline:
            pipeline[stage] += 1
    return {
        "as_of": as_of.isoformat(),
        "days": days,
        "aum": {"total": money(dash.aum),
                "by_product": {p.code: money(p.aum) for p in dash.products}},
        "payments_due": [{
            "investment_id": p.investment_id,
            "client_id": p.client_id,
            "client_name": p.client_name,
            "product": p.product,
            "date": p.due.isoformat(),
            "amount": money(p.amount),
            "kind": p.kind.value,
        } for p in due],
        "overdue": {"count": dash.overdue.count, "total": money(dash.overdue.amount)},
        "fund_revenue": {s.code: {"equity": money(s.equity), "owed": money(s.owed), "revenue": money(s.revenue)}
                         for s in dash.products},
        "pipeline": pipeline,
        "skipped": [problem.as_json() for problem in store.problems.all()],
        **await money_sections(store, cache, book, dash, datetime.combine(as_of, time(23, 59, 59), tzinfo=UTC)),
    }


async def money_sections(store: Any, cache: Any, book: Any, dash: Any, now: Any) -> dict[str, Any]:
    """``redemptions_pending``, ``commissions_due``, ``fees_due`` and ``fund_keeps``."""
    from ..domain.schedules import PaymentKind
    from ..domain.values import ZERO, to_cents
    from ..portfolio.calendar import select
    from ..services.payment_calendar import CalendarFilter, PaymentState
    from ..services.revenue import revenue_picture

    def money(amount: Any) -> str | None:
        return None if amount is None else str(to_cents(amount))

    requests = sorted((r for r in await store.redemptions.find() if r.status.open),
                      key=lambda r: (r.requested_redemption_date, r.redemption_id))
    owed = select(book, CalendarFilter(kind=PaymentKind.COMMISSION, last=book.as_of,
                                       states=frozenset({PaymentState.DUE, PaymentState.OVERDUE}))).rows()
    people: dict[str, list[Any]] = {}
    for row in owed:
        people.setdefault(row.payee_id, []).append(row)
    revenue = await revenue_picture(store, cache, dash, now)
    return {
        "redemptions_pending": {
            "count": len(requests), "total": money(sum((r.requested_amount for r in requests), ZERO)),
            "requests": [{"id": r.redemption_id, "client_id": r.client_id, "investment_id": r.investment_id,
                          "status": r.status.value, "requested_amount": money(r.requested_amount),
                          "requested_redemption_date": r.requested_redemption_date.isoformat()} for r in requests]},
        "commissions_due": {
            "count": dash.commissions_due.count, "total": money(dash.commissions_due.amount),
            "by_salesperson": {key: {"name": rows[0].payee, "count": len(rows),
                                     "total": money(sum((r.amount for r in rows), ZERO))}
                               for key, rows in sorted(people.items())}},
        "fees_due": {
            "total": money(revenue.fees_due), "performance": money(revenue.performance_fees),
            "management": money(revenue.management_fees), "high_water_mark": False,
            "rebates": money(revenue.rebates),
            "by_manager": {f.manager_id: {"name": f.name, "rate": None if f.rate is None else str(f.rate),
                                          "true_pnl": money(f.true_pnl), "fee": money(f.fee_accrued)}
                           for f in revenue.managers}},
        "fund_keeps": {"equity": money(revenue.equity), "principal": money(revenue.principal_owed),
                       "interest_accrued": money(revenue.interest_accrued),
                       "commissions_due": money(revenue.commissions_due), "fees_due": money(revenue.fees_due),
                       "kept": money(revenue.kept)},
    }


def format_text(report: dict[str, Any], fund_name: str) -> str:
    from decimal import Decimal

    def amount(text: str | None) -> str:
        return "-" if text is None else f"{Decimal(text):,.2f}"

    lines = [f"{fund_name}: portfolio report as of {report['as_of']} ({report.get('source', '')})", "",
             f"Assets under management  {amount(report['aum']['total']):>18}"]
    for code, value in report["aum"]["by_product"].items():
        lines.append(f"  {code:<22} {amount(value):>18}")
    due = report["payments_due"]
    total = sum((Decimal(p["amount"]) for p in due), Decimal(0))
    lines += ["", f"Payments due in the next {report['days']} days: {len(due)}, total {total:,.2f}"]
    for p in due:
        lines.append(f"  {p['date']}  {p['client_name'][:28]:<28} {p['product']:<10} {p['kind']:<9} "
                     f"{amount(p['amount']):>14}")
    overdue = report["overdue"]
    if overdue["count"]:
        lines.append(f"Overdue, not recorded as paid: {overdue['count']}, total {amount(overdue['total'])}")
    lines += ["", "Fund revenue (MT5 equity - principal and accrued interest owed):"]
    for code, r in report["fund_revenue"].items():
        lines.append(f"  {code:<10} equity {amount(r['equity']):>16}  owed {amount(r['owed']):>16}  "
                     f"revenue {amount(r['revenue']):>16}")
    lines += ["", "Pipeline: " + "  ".join(f"{stage} {n}" for stage, n in report["pipeline"].items())]
    pending, due, fees, keeps = (report[k] for k in ("redemptions_pending", "commissions_due", "fees_due",
                                                     "fund_keeps"))
    lines += ["", f"Redemptions to pay out: {pending['count']}, total {amount(pending['total'])}",
              f"Referral commissions due: {due['count']}, total {amount(due['total'])}",
              f"Manager fees due this month (no high-water mark, as the original): {amount(fees['total'])}",
              f"What the fund keeps after all of it: {amount(keeps['kept'])}"]
    skipped = report.get("skipped") or []
    if skipped:
        lines += ["", f"Left out of every figure above: {len(skipped)} record(s) the app cannot trust "
                      "(fix them in the database; 'fidus-desktop doctor' lists them all):"]
        lines += [f"  {s['collection']:<14} {s['key']:<38} {s['field'] or '-':<18} {s['reason']}" for s in skipped]
    return "\n".join(lines)
