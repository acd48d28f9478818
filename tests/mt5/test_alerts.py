"""Alert rules over the monitor's boards: firing, clearing, hysteresis, snooze, history."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import timedelta

from fidus_desktop.config import (AlertRule, AlertSettings, Settings, describe, load_settings, save_settings,
                                  settings_from_dict)
from fidus_desktop.mt5.alert_history import AlertHistory
from fidus_desktop.mt5.alerts import AlertEngine, Change, rule_key

from .boards import board, position, view
from .deal_factory import T0 as T
from .deal_factory import deposit


def engine(*rules: AlertRule, settle: float = 0.0, **more) -> AlertEngine:
    return AlertEngine(AlertSettings(rules=rules, settle_seconds=settle, **more))


def poll(alerts: AlertEngine, seconds: float, *views, deals=None):
    at = T + timedelta(seconds=seconds)
    return alerts.evaluate(board(at, *views), deals=deals)


def changes(events) -> list[tuple[str, str, bool]]:
    return [(e.change.value, e.alert.subject or str(e.alert.account), e.notify) for e in events]


def test_margin_level_fires_once_while_hovering_and_again_after_recovering() -> None:
    alerts = engine(AlertRule("margin_level_below", 150.0, hysteresis_pct=10.0))
    levels = ["200", "149", "151", "148.5", "160", "164.9", "165", "149.9"]
    seen = [changes(poll(alerts, i * 5, view(1, T + timedelta(seconds=i * 5), level=lv)))
            for i, lv in enumerate(levels)]
    assert seen == [[], [("fired", "1", True)], [], [], [], [], [("cleared", "1", False)], [("fired", "1", True)]]
    assert "Margin level 149.9 % is below 150 %" in alerts.alerts()[0].message
    # No margin in use (the terminal says 0.0, the source None) is healthy.
    assert changes(poll(alerts, 60, view(1, T + timedelta(seconds=60), level=None))) == [("cleared", "1", False)]


def test_a_withdrawal_is_not_a_drawdown_once_its_deal_is_known() -> None:
    alerts = engine(AlertRule("drawdown_over", 10.0), settle=120.0)
    assert poll(alerts, 0, view(1, T, "100000")) == []
    # The withdrawal of 30 % shows in equity now; its deal arrives with the next deal sync.
    assert poll(alerts, 5, view(1, T + timedelta(seconds=5), "70000")) == []
    flow = [deposit(9, 0.05, "-30000", "Withdrawal")]  # at T + 3 s
    assert poll(alerts, 60, view(1, T + timedelta(seconds=60), "70000"), deals={1: flow}) == []
    assert poll(alerts, 300, view(1, T + timedelta(seconds=300), "70000")) == []
    # A real loss of 12 % afterwards does fire, once settled.
    assert poll(alerts, 310, view(1, T + timedelta(seconds=310), "61600")) == []
    events = poll(alerts, 431, view(1, T + timedelta(seconds=431), "61600"))
    assert changes(events) == [("fired", "1", True)] and "Drawdown 12.00 %" in events[0].alert.message


def test_equity_drop_within_its_window_only() -> None:
    alerts = engine(AlertRule("equity_drop", 5.0, window_seconds=3600.0))
    assert poll(alerts, 0, view(1, T, "1000")) == []
    assert poll(alerts, 1800, view(1, T + timedelta(seconds=1800), "960")) == []  # -4 %
    events = poll(alerts, 3000, view(1, T + timedelta(seconds=3000), "945"))  # -5.5 % within the hour
    assert changes(events) == [("fired", "1", True)]
    slow = engine(AlertRule("equity_drop", 5.0, window_seconds=3600.0))
    for hour, equity in enumerate(("1000", "980", "960", "940", "920")):  # -2 % an hour
        assert poll(slow, hour * 3600, view(1, T + timedelta(hours=hour), equity)) == []


def test_source_down_after_n_seconds_and_back() -> None:
    alerts = engine(AlertRule("source_down", 120.0))
    assert poll(alerts, 0, view(1, T)) == []
    cached = view(1, T, stale=True)  # the cache's copy, fetched at T
    assert poll(alerts, 60, cached) == []
    events = poll(alerts, 125, cached)
    assert changes(events) == [("fired", "1", True)] and "No live MT5 data for 2 min" in events[0].alert.message
    assert poll(alerts, 200, cached) == []  # still down: no repeat
    assert changes(poll(alerts, 205, view(1, T + timedelta(seconds=205)))) == [("cleared", "1", False)]


def test_deposits_and_withdrawals_over_the_amount_alert_once_each() -> None:
    alerts = engine(AlertRule("balance_operation_over", 50000.0))
    big, small = deposit(70, 0, "60000"), deposit(71, 0, "-49999.99")
    old = deposit(72, -3 * 24 * 60, "-80000")  # three days ago: history, not news
    events = poll(alerts, 10, view(1, T + timedelta(seconds=10)), deals={1: [big, small, old]})
    assert changes(events) == [("fired", "deal 70", True)]
    assert events[0].alert.message.startswith("Deposit of 60,000.00 USD on Account 1")
    assert not events[0].alert.active and events[0].alert.needs_attention  # an event: listed until acknowledged
    assert poll(alerts, 20, view(1, T + timedelta(seconds=20)), deals={1: [big]}) == []  # the same deal again
    assert alerts.acknowledge(events[0].alert.key).change is Change.ACKNOWLEDGED
    assert alerts.alerts() == ()


def test_a_position_without_stop_loss_after_the_grace() -> None:
    alerts = engine(AlertRule("position_without_sl", 300.0))
    naked = position(501, T)
    assert poll(alerts, 60, view(1, T + timedelta(seconds=60), positions=(naked,))) == []
    events = poll(alerts, 301, view(1, T + timedelta(seconds=301), positions=(naked, position(502, T, sl="1.05"))))
    assert changes(events) == [("fired", "position 501", True)]
    assert "Position 501 (EURUSD, 0.5 lots) has no stop loss" in events[0].alert.message
    assert poll(alerts, 310, view(1, T + timedelta(seconds=310), positions=(naked,), stale=True)) == []
    protected = position(501, T, sl="1.08")
    assert changes(poll(alerts, 320, view(1, T + timedelta(seconds=320), positions=(protected,)))) == [
        ("cleared", "position 501", False)]


def test_rules_per_fund_and_per_account() -> None:
    alerts = engine(AlertRule("margin_level_below", 150.0, fund="CORE"),
                    AlertRule("margin_level_below", 300.0, account=2))
    events = poll(alerts, 0, view(1, T, level="140", fund="FIDUS_CORE"), view(2, T, level="250", fund="BALANCE"),
                  view(3, T, level="100", fund="DYNAMIC"))
    assert sorted((e.alert.account, e.alert.rule) for e in events) == [
        (1, "Margin level below 150 %"), (2, "Margin level below 300 %")]
    # The fund records may know better than the source's labels.
    other = engine(AlertRule("margin_level_below", 150.0, fund="CORE"))
    assert other.evaluate(board(T, view(3, T, level="100", fund="DYNAMIC")), funds={3: "CORE"})


def test_snooze_silences_new_alerts_of_the_same_kind_and_acknowledge_keeps_them_listed() -> None:
    alerts = engine(AlertRule("margin_level_below", 150.0))
    [fired] = poll(alerts, 0, view(1, T, level="100"))
    assert alerts.snooze(fired.alert.key, now=T, minutes=30).alert.snoozed_until == T + timedelta(minutes=30)
    poll(alerts, 10, view(1, T + timedelta(seconds=10), level="200"))  # cleared
    assert changes(poll(alerts, 20, view(1, T + timedelta(seconds=20), level="100"))) == [("fired", "1", False)]
    poll(alerts, 30, view(1, T + timedelta(seconds=30), level="200"))
    assert changes(poll(alerts, 31 * 60, view(1, T + timedelta(minutes=31), level="100"))) == [("fired", "1", True)]
    ack = alerts.acknowledge(fired.alert.key, now=T + timedelta(minutes=32))
    assert ack is not None and alerts.alerts()[0].acknowledged_at is not None  # active, so still listed
    poll(alerts, 33 * 60, view(1, T + timedelta(minutes=33), level="200"))
    assert alerts.alerts() == ()


def test_removing_a_rule_clears_its_alerts() -> None:
    rule = AlertRule("margin_level_below", 150.0)
    alerts = engine(rule)
    poll(alerts, 0, view(1, T, level="100"))
    alerts.settings = AlertSettings(rules=(AlertRule("margin_level_below", 120.0),))
    assert changes(poll(alerts, 5, view(1, T + timedelta(seconds=5), level="130"))) == [("cleared", "1", False)]


async def test_the_history_survives_a_restart_without_notifying_again(cache) -> None:
    history = AlertHistory(cache)
    rules = (AlertRule("margin_level_below", 150.0), AlertRule("balance_operation_over", 1000.0))
    first = AlertEngine(AlertSettings(rules=rules, settle_seconds=0))
    events = first.evaluate(board(T, view(1, T, level="100")), deals={1: [deposit(5, 0, "5000")]})
    await history.record(events)
    snoozed = first.snooze(events[0].alert.key, now=T, minutes=60)
    await history.record([snoozed])

    restored = await history.open_alerts()
    assert sorted(a.kind for a in restored) == ["balance_operation_over", "margin_level_below"]
    later = AlertEngine(AlertSettings(rules=rules, settle_seconds=0), restored=restored,
                        seen_keys=await history.recent_keys(T - timedelta(days=2)),
                        snoozes=await history.snoozes(T))
    again = later.evaluate(board(T + timedelta(minutes=1), view(1, T + timedelta(minutes=1), level="100")),
                           deals={1: [deposit(5, 0, "5000")]})
    assert again == []  # still firing, already known; the deposit was already raised
    await history.record(again + [later.acknowledge(a.key, now=T + timedelta(minutes=2)) for a in later.alerts()])
    cleared = later.evaluate(board(T + timedelta(minutes=3), view(1, T + timedelta(minutes=3), level="400")))
    await history.record(cleared)
    assert await history.open_alerts() == []
    [margin, deal] = sorted(await history.history(), key=lambda a: a.kind, reverse=True)
    assert margin.cleared_at == T + timedelta(minutes=3) and margin.snoozed_until == T + timedelta(minutes=60)
    assert deal.value == 5000.0 and deal.acknowledged_at == T + timedelta(minutes=2)
    assert await history.prune(T + timedelta(days=400)) == 2 and await history.history() == []


def test_alert_rules_are_typed_described_settings(tmp_path) -> None:
    for cls in (AlertRule, AlertSettings):
        assert all(describe(cls, f.name) for f in fields(cls)), cls.__name__
    custom = Settings().replace(alerts=AlertSettings(rules=(AlertRule("equity_drop", 3.0, window_seconds=900,
                                                                      fund="BALANCE"),)))
    save_settings(custom, tmp_path / "settings.json")
    assert load_settings(tmp_path / "settings.json") == (custom, None)
    # An older settings file without rules gets the default ones; a wrong kind is refused clearly.
    assert settings_from_dict({"alerts": {"drawdown_percent": 12}})[0].alerts.rules == AlertSettings().rules
    data = json.loads((tmp_path / "settings.json").read_text())
    data["alerts"]["rules"][0]["kind"] = "moon_phase"
    settings, problems = settings_from_dict(data)  # refused clearly, the rest of the file kept
    assert any("alerts.rules" in p and "moon_phase" in p for p in problems), problems
    assert settings.alerts.rules[0].kind != "moon_phase"
    assert rule_key(AlertRule("margin_level_below", 150.0, fund="fidus_core")) == "margin_level_below:150:3600:0:CORE"
