"""``fidus-desktop mt5 stats`` on the demo terminal (the default MT5 source): the JSON contract."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from bridge_link.demo_terminal.source import build_demo_source
from fidus_desktop import cli
from fidus_desktop.commands.mt5 import stats_json
from fidus_desktop.domain.values import utc_now
from fidus_desktop.mt5.deals import opening_balance
from fidus_desktop.mt5.stats import trading_stats

from .test_stats import a_month_of_trading

CONTRACT_KEYS = ["login", "from", "to", "currency", "deposits", "withdrawals", "net_profit", "gross_profit",
                 "gross_loss", "trades", "win_rate_pct", "avg_win", "avg_loss", "expectancy", "best_trade",
                 "worst_trade", "profit_factor", "absolute_gain_pct", "gain_pct", "max_drawdown"]
LOGIN = 88001002


def run_stats(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["mt5", "stats", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def expected_from_demo(first, last) -> dict:
    """The same figures computed here from the demo source, for a period already over."""
    async def compute():
        source = build_demo_source()
        try:
            account = await source.account(LOGIN)
            snap = await source.deals(LOGIN, datetime(2000, 1, 1, tzinfo=UTC), utc_now() + timedelta(days=1))
        finally:
            await source.close()
        start = opening_balance(account.balance, snap.deals)
        stats = trading_stats(snap.deals, opening_balance=start,
                              date_from=datetime.combine(first, time(0), tzinfo=UTC),
                              date_to=datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC))
        return stats_json(LOGIN, account.currency, first, last, stats)
    return asyncio.run(compute())


def test_json_on_the_demo_terminal_is_the_contract(capsys) -> None:
    last = utc_now().date() - timedelta(days=30)
    first = last - timedelta(days=60)
    code, out, err = run_stats(capsys, "--login", str(LOGIN), "--from", first.isoformat(),
                               "--to", last.isoformat(), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert list(report) == CONTRACT_KEYS
    assert (report["login"], report["from"], report["to"], report["currency"]) == (
        LOGIN, first.isoformat(), last.isoformat(), "USD")
    assert isinstance(report["trades"], int) and report["trades"] > 10
    assert set(report["max_drawdown"]) == {"amount", "pct"}
    for key in CONTRACT_KEYS[4:]:
        if key not in ("trades", "max_drawdown") and report[key] is not None:
            assert Decimal(report[key]) == Decimal(report[key]).quantize(Decimal("0.01")), key
    assert report == expected_from_demo(first, last)


def test_the_whole_history_and_the_readable_table(capsys) -> None:
    code, out, err = run_stats(capsys, "--login", str(LOGIN))
    assert code == 0, err
    assert f"MT5 account {LOGIN}: trading statistics" in out
    for label in ("Net profit", "Profit factor", "Gain (time-weighted)", "Maximum drawdown"):
        assert label in out
    code, out, _ = run_stats(capsys, "--login", str(LOGIN), "--json")
    report = json.loads(out)
    assert report["from"] is not None and report["to"] == utc_now().date().isoformat()


def test_undefined_figures_are_null() -> None:
    stats = trading_stats(a_month_of_trading()[:4])  # one win, one loss, then nothing
    report = stats_json(1, "USD", None, utc_now().date(), stats)
    assert report["profit_factor"] == "2.38" and report["absolute_gain_pct"] == "0.55"
    empty = stats_json(1, "USD", None, utc_now().date(), trading_stats([]))
    assert empty["from"] is None and empty["trades"] == 0
    assert all(empty[k] is None for k in ("profit_factor", "win_rate_pct", "avg_win", "avg_loss", "expectancy",
                                         "best_trade", "worst_trade", "absolute_gain_pct"))
    assert empty["gain_pct"] == "0.00" and empty["max_drawdown"] == {"amount": "0.00", "pct": "0.00"}


def test_an_unknown_login_and_a_reversed_period_fail_with_a_reason(capsys) -> None:
    code, out, err = run_stats(capsys, "--login", "123", "--json")
    assert code == 2 and out == "" and "MT5 statistics failed" in err and "Traceback" not in err
    code, _, err = run_stats(capsys, "--login", str(LOGIN), "--from", "2026-03-02", "--to", "2026-03-01")
    assert code == 2 and "--to is before --from" in err


def test_the_help_documents_the_json_contract(capsys) -> None:
    try:
        cli.main(["mt5", "stats", "--help"])
    except SystemExit:
        pass
    help_text = capsys.readouterr().out
    assert "stable contract" in help_text and '"max_drawdown": {"amount"' in help_text
    assert "profit_factor without a losing trade" in help_text
