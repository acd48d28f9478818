"""Next-action reminders: a tray notice when one falls due, once.

Every minute the prospects with a reminder set are asked for (an indexed query: the few with
``next_action_remind``); each one now due is announced (``EventType.NOTICE``, important: the
window shows it in the tray) and its reminder cleared in the same operation that puts "reminder
sent" on the timeline, so it is announced once, on whichever computer saw it first.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain.values import utc_now
from ..errors import FidusError
from ..events import EventType
from ..runtime.notices import Notice, NoticeLevel
from ..runtime.operations import Audit, Operation
from ..runtime.service import Service
from ..services.changes import TIMELINE
from ..storage.query import Eq, Query
from .timeline import EventKind

if TYPE_CHECKING:
    from ..app_context import AppContext

log = logging.getLogger(__name__)


async def due_reminders(context: AppContext, now: datetime) -> list[str]:
    """Announce every reminder due at ``now``; returns the prospects announced."""
    store = context.store
    if store is None:
        return []
    announced = []
    for prospect in await store.prospects.find(Query(where=(Eq("remind", True),))):
        if not prospect.remind or prospect.next_action_due is None or prospect.next_action_due > now:
            continue
        patch = store.prospects.patch_of(prospect.evolve(remind=False), now)
        if patch is None:
            continue
        when = prospect.next_action_due.astimezone().strftime("%Y-%m-%d %H:%M")
        text = f"{prospect.name}: {prospect.next_action} (due {when})"
        op = Operation("prospect.reminder", (patch,), Audit(
            activity_type=str(EventKind.REMINDER), description=f"Reminder: {prospect.next_action}",
            prospect_id=prospect.prospect_id, client_id=prospect.client_id,
            details={"due": prospect.next_action_due.isoformat()}), flags=frozenset({TIMELINE}))
        try:
            await context.writer.submit(op)
        except FidusError as exc:  # changed meanwhile (a conflict): the next round sees the new state
            log.info("reminder for %s not sent: %s", prospect.prospect_id, exc.message)
            continue
        context.events.publish(EventType.NOTICE, Notice(text, NoticeLevel.IMPORTANT, "Next action due"))
        announced.append(prospect.prospect_id)
    return announced


class ReminderService(Service):
    name = "crm-reminders"

    def __init__(self, context: AppContext, *, interval_seconds: float = 60.0) -> None:
        super().__init__()
        self._context = context
        self._interval = interval_seconds

    async def start(self) -> None:
        await super().start()
        self.spawn(self._run(), "reminders")

    async def _run(self) -> None:
        while True:
            try:
                await due_reminders(self._context, utc_now())
            except FidusError as exc:
                log.info("reminders not checked: %s", exc.message)
            except Exception:
                log.exception("checking reminders failed")
            await asyncio.sleep(self._interval)
