"""The MT5 alerts as the monitor service runs them: the rule engine, its history, its notices.

Every board is judged (:class:`~fidus_desktop.mt5.alerts.AlertEngine`), each event is written to
the alert history in the local cache (:class:`~fidus_desktop.mt5.alert_history.AlertHistory`),
and a new alert that is due a desktop notification is published as an IMPORTANT
:class:`~fidus_desktop.runtime.notices.Notice` (the window pops it from the system tray; the
status bar shows every notice). On start the engine is rebuilt from the history, so a restart
neither forgets an unacknowledged alert nor notifies it again. The rules are settings: a change
applies to the next board, without restarting anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from bridge_link.models import Deal

from ..config import AlertSettings
from ..domain.values import utc_now
from ..events import EventBus, EventType
from ..mt5.alert_history import AlertHistory
from ..mt5.alerts import NEWS_AGE, Alert, AlertEngine, AlertEvent, Change
from ..mt5.board import Mt5Board
from ..runtime.notices import Notice, NoticeLevel

log = logging.getLogger(__name__)

#: Cleared and acknowledged alerts older than this leave the history.
HISTORY_DAYS = 180


class AlertKeeper:
    def __init__(self, settings: AlertSettings, events: EventBus, history: AlertHistory | None = None) -> None:
        self.engine = AlertEngine(settings)
        self.events = events
        self.history = history

    async def open(self, now: datetime | None = None) -> None:
        """Rebuild the engine from the history (when there is one)."""
        if self.history is None:
            return
        now = now or utc_now()
        try:
            await self.history.prune(now - timedelta(days=HISTORY_DAYS))
            self.engine = AlertEngine(self.engine.settings, restored=await self.history.open_alerts(),
                                      seen_keys=await self.history.recent_keys(now - NEWS_AGE),
                                      snoozes=await self.history.snoozes(now))
        except Exception:  # alerts still work without their past
            log.exception("the MT5 alert history could not be read")

    def apply_settings(self, settings: AlertSettings) -> None:
        self.engine.settings = settings

    def alerts(self) -> tuple[Alert, ...]:
        return self.engine.alerts()

    async def judge(self, board: Mt5Board, flows: Mapping[int, Sequence[Deal]] | None = None) -> tuple[Alert, ...]:
        """The alerts after ``board`` (active or unacknowledged, newest first)."""
        if board.accounts:
            await self._record(self.engine.evaluate(board, deals=flows or {}))
        return self.engine.alerts()

    async def acknowledge(self, keys: Iterable[str]) -> tuple[Alert, ...]:
        now = utc_now()
        await self._record([e for k in keys if (e := self.engine.acknowledge(k, now)) is not None])
        return self.engine.alerts()

    async def snooze(self, keys: Iterable[str], minutes: float | None = None) -> tuple[Alert, ...]:
        now = utc_now()
        await self._record([e for k in keys if (e := self.engine.snooze(k, now, minutes)) is not None])
        return self.engine.alerts()

    async def past(self, since: datetime | None = None, limit: int = 500) -> list[Alert]:
        """The alert history, newest first (what fired, when it cleared, who acknowledged)."""
        return [] if self.history is None else await self.history.history(since, limit)

    async def _record(self, events: list[AlertEvent]) -> None:
        if not events:
            return
        if self.history is not None:
            try:
                await self.history.record(events)
            except Exception:  # the alert still shows; only its log entry is missing
                log.exception("MT5 alert history not written")
        for event in events:
            alert = event.alert
            if event.change is Change.FIRED:
                log.warning("MT5 alert: %s", alert.message)
                level = NoticeLevel.IMPORTANT if event.notify else NoticeLevel.INFO
                self.events.publish(EventType.NOTICE, Notice(alert.message, level, f"MT5 alert: {alert.rule}"))
            elif event.change is Change.CLEARED and alert.kind != "balance_operation_over":
                self.events.publish(EventType.NOTICE, Notice(f"Cleared: {alert.message}", NoticeLevel.INFO,
                                                             f"MT5 alert: {alert.rule}"))
