"""MT5 alert rules evaluated over the monitor's boards (issue 10 item 9, the Qt-free part).

:class:`AlertEngine` is fed every poll's :class:`~fidus_desktop.mt5.board.Mt5Board`
(and the deals synced since, for flows and balance operations) and answers with
:class:`AlertEvent` s: an alert fired (notify the manager, unless snoozed), cleared, acknowledged
or snoozed. :mod:`.alert_history` keeps them in the local cache.

Rules (``settings.alerts.rules``) apply to one account, to every account of a fund, or to all:

- ``margin_level_below`` X %: fires below X, clears at or above X x (1 + hysteresis); an account
  using no margin is healthy;
- ``drawdown_over`` Y % and ``equity_drop`` Z % within a window: on the growth index of
  :mod:`.equity_track` (flows stripped, settled samples), fire over the limit, clear at or below
  limit x (1 - hysteresis);
- ``source_down`` N s: no live data for the account for N seconds (the cached copy's age);
  clears when live data returns;
- ``balance_operation_over`` amount: each deposit or withdrawal of at least that much, once
  (an event: fired and cleared at once, listed until acknowledged);
- ``position_without_sl`` grace s: each position open longer than the grace with no stop loss;
  clears when it gets one or closes.

Hysteresis is the point: a value hovering at the limit fires once, and fires again only after it
came back past the clearing level. Nothing is judged on stale data but ``source_down``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bridge_link.models import Deal

from ..config import AlertRule, AlertSettings
from ..domain.funds import normalize_fund_code
from ..domain.values import utc_now
from .board import Mt5AccountView, Mt5Board, describe_age
from .deals import DEAL_BALANCE
from .equity_track import EquityTrack

#: Balance operations older than this when first seen are history, not news.
NEWS_AGE = timedelta(days=2)


class Change(enum.StrEnum):
    FIRED = "fired"
    CLEARED = "cleared"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"


@dataclass(frozen=True, slots=True)
class Alert:
    #: Rule, account and subject: one alert at a time per key.
    key: str
    rule: str
    kind: str
    account: int | None
    fund: str
    #: What inside the account: "" for the account itself, "position 123", "deal 456".
    subject: str
    message: str
    value: float | None
    threshold: float
    fired_at: datetime
    cleared_at: datetime | None = None
    acknowledged_at: datetime | None = None
    snoozed_until: datetime | None = None

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    @property
    def needs_attention(self) -> bool:
        return self.acknowledged_at is None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    change: Change
    alert: Alert
    #: A desktop notification is due (a new alert, notifications on, not snoozed).
    notify: bool = False


def rule_key(rule: AlertRule) -> str:
    return (f"{rule.kind}:{rule.threshold:g}:{rule.window_seconds:g}:{rule.account}:"
            f"{normalize_fund_code(rule.fund)}")


def rule_label(rule: AlertRule) -> str:
    if rule.name:
        return rule.name
    t = f"{rule.threshold:g}"
    return {"margin_level_below": f"Margin level below {t} %", "drawdown_over": f"Drawdown over {t} %",
            "equity_drop": f"Equity drop over {t} % within {describe_age(rule.window_seconds)}",
            "source_down": f"No live data for {describe_age(rule.threshold)}",
            "balance_operation_over": f"Deposit or withdrawal of {t} or more",
            "position_without_sl": "Position without stop loss"}[rule.kind]


class AlertEngine:
    def __init__(self, settings: AlertSettings, *, restored: Iterable[Alert] = (),
                 seen_keys: Iterable[str] = (), snoozes: Mapping[str, datetime] | None = None) -> None:
        """``restored``: alerts still active or unacknowledged from the history (so a restart
        does not notify them again); ``seen_keys``: keys of recent event alerts already raised;
        ``snoozes``: keys silenced until a time (see :mod:`.alert_history`)."""
        self.settings = settings
        self._alerts: dict[str, Alert] = {a.key: a for a in restored}
        self._seen = set(seen_keys) | set(self._alerts)
        self._snoozes: dict[str, datetime] = dict(snoozes or {})
        self._tracks: dict[int, EquityTrack] = {}
        self._first_seen: dict[int, datetime] = {}
        self._flow_tickets: set[tuple[int, int]] = set()

    # --- what the alert list shows -------------------------------------------------------------------
    def alerts(self) -> tuple[Alert, ...]:
        """Active or unacknowledged alerts, newest first."""
        return tuple(sorted(self._alerts.values(), key=lambda a: a.fired_at, reverse=True))

    def acknowledge(self, key: str, now: datetime | None = None) -> AlertEvent | None:
        alert = self._alerts.get(key)
        if alert is None or alert.acknowledged_at is not None:
            return None
        alert = replace(alert, acknowledged_at=now or utc_now())
        self._keep(alert)
        return AlertEvent(Change.ACKNOWLEDGED, alert)

    def snooze(self, key: str, now: datetime | None = None, minutes: float | None = None) -> AlertEvent | None:
        """No notification for ``key`` (this alert and any new one) for the snooze time."""
        alert = self._alerts.get(key)
        if alert is None:
            return None
        until = (now or utc_now()) + timedelta(minutes=self.settings.snooze_minutes if minutes is None else minutes)
        self._snoozes[key] = until
        alert = replace(alert, snoozed_until=until)
        self._alerts[key] = alert
        return AlertEvent(Change.SNOOZED, alert)

    def _active(self, key: str) -> bool:
        alert = self._alerts.get(key)
        return alert is not None and alert.active

    def _keep(self, alert: Alert) -> None:
        if alert.active or alert.needs_attention:
            self._alerts[alert.key] = alert
        else:
            self._alerts.pop(alert.key, None)

    # --- evaluation ----------------------------------------------------------------------------------
    def evaluate(self, board: Mt5Board, *, now: datetime | None = None,
                 deals: Mapping[int, Sequence[Deal]] | None = None,
                 funds: Mapping[int, str] | None = None) -> list[AlertEvent]:
        """The events of one poll. ``deals``: deals synced since the last call, per login (any
        overlap is fine); ``funds``: the fund of each login when the fund records know better
        than the source."""
        now = now or board.polled_at
        events: list[AlertEvent] = []
        rules = [r for r in self.settings.rules if r.enabled]
        keep = max([r.window_seconds for r in rules if r.kind == "equity_drop"], default=0.0)
        for view in board.accounts:
            login = view.ref.login
            fund = normalize_fund_code((funds or {}).get(login, view.fund))
            track = self._tracks.setdefault(login, EquityTrack(keep))
            track.keep_seconds = keep
            self._first_seen.setdefault(login, now)
            new_flows = self._observe(view, track, (deals or {}).get(login, ()), now)
            for rule in rules:
                if (rule.account and rule.account != login) or (
                        rule.fund and normalize_fund_code(rule.fund) != fund):
                    continue
                events += self._judge(rule, view, fund, track, new_flows, now)
        valid = {rule_key(r) for r in rules}
        for alert in list(self._alerts.values()):  # a rule removed or switched off clears its alerts
            if alert.active and alert.key.split("|", 1)[0] not in valid:
                events.append(self._clear(alert, now, None))
        return events

    def _observe(self, view: Mt5AccountView, track: EquityTrack, deals: Sequence[Deal],
                 now: datetime) -> list[Deal]:
        account = view.account
        if account is not None and not account.stale:
            track.add_sample(account.fetched_at.timestamp(), float(account.equity))
        fresh = []
        for deal in deals:
            if deal.type == DEAL_BALANCE and (view.ref.login, deal.ticket) not in self._flow_tickets:
                self._flow_tickets.add((view.ref.login, deal.ticket))
                track.add_flow(deal.time.timestamp(), float(deal.profit))
                fresh.append(deal)
        track.settle((now - timedelta(seconds=self.settings.settle_seconds)).timestamp())
        return fresh

    def _judge(self, rule: AlertRule, view: Mt5AccountView, fund: str, track: EquityTrack,
               flows: list[Deal], now: datetime) -> list[AlertEvent]:
        login, base = view.ref.login, rule_key(rule)
        live = view.account is not None and not view.account.stale
        if rule.kind == "balance_operation_over":
            return [self._event_alert(rule, view, fund, d, now) for d in flows
                    if abs(d.profit) >= rule.threshold and now - d.time <= NEWS_AGE
                    and f"{base}|{login}|deal {d.ticket}" not in self._seen]
        if rule.kind == "position_without_sl":
            return self._positions(rule, view, fund, now)
        if rule.kind == "source_down":
            since = view.account.fetched_at if view.account is not None else self._first_seen[login]
            value: float | None = 0.0 if live else max(0.0, (now - since).total_seconds())
        elif not live:
            return []  # nothing is judged on stale data
        elif rule.kind == "margin_level_below":
            level = view.account.margin_level if view.account else None
            value = float("inf") if level is None else float(level)
        elif rule.kind == "drawdown_over":
            value = track.drawdown_pct()
        else:
            value = track.drop_pct(rule.window_seconds)
        if value is None:
            return []
        return self._hysteresis(rule, view, fund, f"{base}|{login}|", value, now)

    def _hysteresis(self, rule: AlertRule, view: Mt5AccountView, fund: str, key: str, value: float,
                    now: datetime) -> list[AlertEvent]:
        band = rule.hysteresis_pct / 100.0
        below = rule.kind == "margin_level_below"
        alert = self._alerts.get(key)
        if alert is not None and alert.active:
            recovered = value >= rule.threshold * (1 + band) if below else value <= rule.threshold * (1 - band)
            return [self._clear(alert, now, value)] if recovered else []
        breached = value < rule.threshold if below else value > rule.threshold
        if rule.kind == "source_down":
            breached = value >= rule.threshold
        return [self._fire(rule, view, fund, key, "", value, now)] if breached else []

    def _positions(self, rule: AlertRule, view: Mt5AccountView, fund: str, now: datetime) -> list[AlertEvent]:
        if view.positions is None or view.positions.stale:
            return []
        base = f"{rule_key(rule)}|{view.ref.login}|position "
        naked = {p.ticket: p for p in view.positions.positions
                 if p.sl == 0 and (now - p.time).total_seconds() >= rule.threshold}
        events = [self._fire(rule, view, fund, f"{base}{t}", f"position {t}", None, now,
                             f"Position {t} ({p.symbol}, {p.volume} lots) has no stop loss")
                  for t, p in naked.items() if not self._active(f"{base}{t}")]
        events += [self._clear(a, now, None) for k, a in list(self._alerts.items())
                   if k.startswith(base) and a.active and int(k[len(base):]) not in naked]
        return events

    def _event_alert(self, rule: AlertRule, view: Mt5AccountView, fund: str, deal: Deal, now: datetime) -> AlertEvent:
        what = "Deposit" if deal.profit > 0 else "Withdrawal"
        currency = view.account.currency if view.account else ""
        event = self._fire(rule, view, fund, f"{rule_key(rule)}|{view.ref.login}|deal {deal.ticket}",
                           f"deal {deal.ticket}", float(deal.profit), now,
                           f"{what} of {abs(deal.profit):,.2f} {currency}".rstrip())
        alert = replace(event.alert, cleared_at=now)  # an event: nothing to recover from
        self._keep(alert)
        return replace(event, alert=alert)

    # --- state changes ---------------------------------------------------------------------------------
    def _fire(self, rule: AlertRule, view: Mt5AccountView, fund: str, key: str, subject: str,
              value: float | None, now: datetime, what: str | None = None) -> AlertEvent:
        account = f"{view.name or 'account'} ({view.ref.login})"
        text = f"{what or _describe(rule, value)} on {account}."
        until = self._snoozes.get(key)
        snoozed = until if until is not None and until > now else None
        alert = Alert(key, rule_label(rule), rule.kind, view.ref.login, fund, subject, text, value, rule.threshold,
                      now, snoozed_until=snoozed)
        self._alerts[key] = alert
        self._seen.add(key)
        return AlertEvent(Change.FIRED, alert, notify=self.settings.notify and snoozed is None)

    def _clear(self, alert: Alert, now: datetime, value: float | None) -> AlertEvent:
        cleared = replace(alert, cleared_at=now, value=alert.value if value is None else value)
        self._keep(cleared)
        return AlertEvent(Change.CLEARED, cleared)


def _describe(rule: AlertRule, value: float | None) -> str:
    v = 0.0 if value is None else value
    return {"margin_level_below": f"Margin level {v:.1f} % is below {rule.threshold:g} %",
            "drawdown_over": f"Drawdown {v:.2f} % is over {rule.threshold:g} %",
            "equity_drop": f"Equity fell {v:.2f} % within {describe_age(rule.window_seconds)}",
            "source_down": f"No live MT5 data for {describe_age(v)}"}.get(rule.kind, rule_label(rule))
