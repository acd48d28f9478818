"""``fidus-desktop mt5``: MT5 figures for scripts.

    fidus-desktop mt5 stats --login 88001002                       # a readable table
    fidus-desktop mt5 stats --login 88001002 --from 2026-01-01 --to 2026-03-31 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

EXIT_FAILED = 2

STATS_CONTRACT = """\
Reads the account's deals from the configured MT5 source (settings mt5.source: demo, direct or
bridge) and prints its trading statistics over the period, as defined in fidus_desktop/mt5/stats.py.
Days are UTC days; --to is included. Without --from the period starts at the first deal, without
--to it ends now.

JSON (--json) is a stable contract: fields may be added, never renamed or removed.

  {"login": 88001002, "from": "2026-01-01", "to": "2026-03-31", "currency": "USD",
   "deposits": "5000.00", "withdrawals": "2000.00",
   "net_profit": "232.60", "gross_profit": "336.40", "gross_loss": "-103.80",
   "trades": 4, "win_rate_pct": "50.00", "avg_win": "168.20", "avg_loss": "-51.90",
   "expectancy": "58.15", "best_trade": "242.00", "worst_trade": "-64.20",
   "profit_factor": "3.24", "absolute_gain_pct": "1.55", "gain_pct": "1.67",
   "max_drawdown": {"amount": "64.20", "pct": "0.48"}}

- money in the account currency and percentages are decimal strings, rounded half-up to 2
  decimals; "trades" is an integer; "from"/"to" are ISO dates ("from" is null for an account
  without deals);
- deposits and withdrawals are positive totals; gross_loss, avg_loss and worst_trade are negative
  (or zero); max_drawdown.amount is the largest fall of the cumulative trade result, as a positive
  amount, and max_drawdown.pct the largest fall of the time-weighted growth index;
- null when undefined: profit_factor without a losing trade; win_rate_pct, avg_win, avg_loss,
  expectancy, best_trade and worst_trade without a (winning, losing) trade; absolute_gain_pct
  without a deposit in the period.

Exit status: 0 printed, 2 failed (the reason on standard error)."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _login(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"not an MT5 login: {text!r}")
    return int(text)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("mt5", help="MT5 figures for scripts (trading statistics)",
                                   description="MT5 figures read from the configured MT5 source.")
    actions = parser.add_subparsers(dest="mt5_action", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="trading statistics of one account over a period",
                               description=STATS_CONTRACT, formatter_class=argparse.RawDescriptionHelpFormatter)
    stats.add_argument("--login", type=_login, required=True, metavar="N", help="the MT5 account number")
    stats.add_argument("--from", dest="date_from", type=_day, metavar="DATE", help="first day (YYYY-MM-DD, UTC)")
    stats.add_argument("--to", dest="date_to", type=_day, metavar="DATE", help="last day, included (YYYY-MM-DD)")
    stats.add_argument("--json", action="store_true", help="print the stable JSON form described above")


def run(args: argparse.Namespace) -> int:
    from ..logs import redact

    if args.date_from and args.date_to and args.date_to < args.date_from:
        print("MT5 statistics failed: --to is before --from.", file=sys.stderr)
        return EXIT_FAILED
    try:
        report = asyncio.run(_stats(args.login, args.date_from, args.date_to))
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as exc:  # a readable line and exit 2, never a traceback
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        print(redact(f"MT5 statistics failed: {message}"), file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def _stats(login: int, first: date | None, last: date | None) -> dict[str, Any]:
    from ..runtime.mt5_sources import build_source

    from ..app_context import AppContext
    from ..domain.values import utc_now
    from ..mt5.deals import opening_balance
    from ..mt5.stats import trading_stats
    from ..paths import AppPaths

    context = AppContext.create(AppPaths.default())
    source = build_source(context.settings.mt5, context.secrets)
    try:
        now = utc_now()
        account = await source.account(login)
        # The whole history, to walk the balance back from the account's (mt5-api.md §10); a day
        # ahead because the broker's clock may run ahead of ours (§8).
        snap = await source.deals(login, datetime(2000, 1, 1, tzinfo=UTC), now + timedelta(days=1))
    finally:
        await source.close()
    deals = snap.deals
    start = opening_balance(account.balance, deals)
    stats = trading_stats(deals, opening_balance=start,
                          date_from=_midnight(first) if first else None,
                          date_to=_midnight(last + timedelta(days=1)) if last else None)
    shown_from = first or (min(d.time for d in deals).date() if deals else None)
    return stats_json(login, account.currency, shown_from, last or now.date(), stats)


def stats_json(login: int, currency: str, first: date | None, last: date, stats: Any) -> dict[str, Any]:
    """The JSON contract of ``mt5 stats`` (see ``STATS_CONTRACT``)."""
    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "login": login, "from": first.isoformat() if first else None, "to": last.isoformat(),
        "currency": currency,
        "deposits": text(stats.deposits), "withdrawals": text(stats.withdrawals),
        "net_profit": text(stats.net_profit), "gross_profit": text(stats.gross_profit),
        "gross_loss": text(stats.gross_loss), "trades": stats.trades,
        "win_rate_pct": text(stats.win_rate_pct), "avg_win": text(stats.avg_win),
        "avg_loss": text(stats.avg_loss), "expectancy": text(stats.expectancy),
        "best_trade": text(stats.best_trade), "worst_trade": text(stats.worst_trade),
        "profit_factor": text(stats.profit_factor), "absolute_gain_pct": text(stats.absolute_gain_pct),
        "gain_pct": text(stats.gain_pct),
        "max_drawdown": {"amount": text(stats.max_drawdown.amount), "pct": text(stats.max_drawdown.pct)},
    }


def format_table(report: dict[str, Any]) -> str:
    from decimal import Decimal

    from ..mt5.stats import STAT_FIGURES

    def shown(value: Any, kind: str) -> str:
        if value is None:
            return "n/a"
        if kind == "count":
            return f"{value:,}"
        number = f"{Decimal(value):,.2f}"
        return {"money": f"{number} {report['currency']}", "pct": f"{number} %"}.get(kind, number)

    period = f"{report['from'] or 'first deal'} to {report['to']}"
    lines = [f"MT5 account {report['login']}: trading statistics, {period} (UTC days)", ""]
    lines += [f"  {label:<22}{shown(report[key], kind):>24}" for label, key, kind in STAT_FIGURES]
    drawdown = report["max_drawdown"]
    lines.append(f"  {'Maximum drawdown':<22}{shown(drawdown['amount'], 'money'):>24}"
                 f"  ({shown(drawdown['pct'], 'pct')} of the growth index)")
    return "\n".join(lines)
