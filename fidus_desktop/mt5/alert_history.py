"""The MT5 alert history, kept in the local cache (table ``mt5_alerts``, cache step 2).

Every event of :class:`~fidus_desktop.mt5.alerts.AlertEngine` is written here: an alert is a row
from the moment it fires, stamped when it clears, is acknowledged or snoozed. On start the engine
is rebuilt from :meth:`AlertHistory.open_alerts`, :meth:`snoozes` and :meth:`recent_keys`, so a
restart neither forgets an unacknowledged alert nor notifies one again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from ..storage.cache import LocalCache
from ..storage.doc_json import utc_iso_millis
from .alerts import Alert, AlertEvent, Change

_COLUMNS = ("key, rule, kind, account, fund, subject, message, value, threshold, fired_at, cleared_at, "
            "acknowledged_at, snoozed_until")


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else utc_iso_millis(moment)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _number(text: str | None) -> float | None:
    return None if text is None else float(text)


def _alert(row: tuple) -> Alert:
    key, rule, kind, account, fund, subject, message, value, threshold, fired, cleared, acked, snoozed = row
    return Alert(key, rule, kind, account, fund, subject, message, _number(value), float(threshold or 0),
                 _moment(fired), _moment(cleared), _moment(acked), _moment(snoozed))  # type: ignore[arg-type]


class AlertHistory:
    def __init__(self, cache: LocalCache) -> None:
        self._db = cache.database

    async def record(self, events: Iterable[AlertEvent]) -> None:
        """Write the events of one poll (or one click) in one transaction."""
        events = list(events)
        if not events:
            return
        async with self._db.transaction() as tx:
            for event in events:
                a = event.alert
                where = (a.key, _stamp(a.fired_at))
                if event.change is Change.FIRED:
                    await tx.fetch(f"INSERT INTO mt5_alerts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   (a.key, a.rule, a.kind, a.account, a.fund, a.subject, a.message,
                                    None if a.value is None else repr(a.value), repr(a.threshold),
                                    _stamp(a.fired_at), _stamp(a.cleared_at), _stamp(a.acknowledged_at),
                                    _stamp(a.snoozed_until)))
                elif event.change is Change.CLEARED:
                    await tx.fetch("UPDATE mt5_alerts SET cleared_at = ?, value = ? WHERE key = ? AND fired_at = ?",
                                   (_stamp(a.cleared_at), None if a.value is None else repr(a.value), *where))
                elif event.change is Change.ACKNOWLEDGED:
                    await tx.fetch("UPDATE mt5_alerts SET acknowledged_at = ? WHERE key = ? AND fired_at = ?",
                                   (_stamp(a.acknowledged_at), *where))
                else:
                    await tx.fetch("UPDATE mt5_alerts SET snoozed_until = ? WHERE key = ? AND fired_at = ?",
                                   (_stamp(a.snoozed_until), *where))

    async def open_alerts(self) -> list[Alert]:
        """Alerts still active or not yet acknowledged: the newest per key, oldest first."""
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM mt5_alerts WHERE (cleared_at IS NULL OR acknowledged_at IS NULL) "
            "AND id IN (SELECT max(id) FROM mt5_alerts GROUP BY key) ORDER BY id")
        return [_alert(row) for row in rows]

    async def snoozes(self, now: datetime) -> dict[str, datetime]:
        rows = await self._db.fetch("SELECT key, max(snoozed_until) FROM mt5_alerts WHERE snoozed_until > ? "
                                    "GROUP BY key", (_stamp(now),))
        return {key: _moment(until) for key, until in rows}  # type: ignore[misc]

    async def recent_keys(self, since: datetime) -> set[str]:
        """Keys of the alerts fired since ``since`` (event alerts are raised once per key)."""
        rows = await self._db.fetch("SELECT DISTINCT key FROM mt5_alerts WHERE fired_at >= ?", (_stamp(since),))
        return {key for (key,) in rows}

    async def history(self, since: datetime | None = None, limit: int = 500) -> list[Alert]:
        """Alerts fired since ``since``, newest first (the alert list's history tab)."""
        sql = f"SELECT {_COLUMNS} FROM mt5_alerts"
        params: list[object] = []
        if since is not None:
            sql += " WHERE fired_at >= ?"
            params.append(_stamp(since))
        rows = await self._db.fetch(sql + " ORDER BY fired_at DESC, id DESC LIMIT ?", [*params, int(limit)])
        return [_alert(row) for row in rows]

    async def prune(self, before: datetime) -> int:
        """Forget alerts fired before ``before`` that are cleared and acknowledged."""
        rows = await self._db.fetch("DELETE FROM mt5_alerts WHERE fired_at < ? AND cleared_at IS NOT NULL "
                                    "AND acknowledged_at IS NOT NULL RETURNING id", (_stamp(before),))
        return len(rows)
