"""Google Calendar in the Workspace panel: the agenda (next two weeks) and the week, from the local
copy, on the manager's clock; book (free/busy first, Meet link, invitations), move, cancel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QMessageBox, QPushButton, QRadioButton, QVBoxLayout, QWidget

from fidus_desktop.google.calendar import CalendarEvent, parse_event, week_range

from ..widgets.table_model import Column, KeyedTableModel, list_data, selected_positions, table_view
from .event_dialog import EventDialog, MeetingRequest

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.services.google_service import GoogleService
    from ui.tasks import TaskRunner

AGENDA_DAYS = 14


def _local(moment: datetime, all_day: bool = False) -> str:
    local = moment.astimezone()
    return local.strftime("%a %Y-%m-%d") if all_day else local.strftime("%a %Y-%m-%d %H:%M")


COLUMNS = (Column("Starts", lambda e: _local(e.start, e.all_day)),
           Column("Ends", lambda e: "" if e.all_day else e.end.astimezone().strftime("%H:%M")),
           Column("Title", lambda e: e.summary or "(no title)"),
           Column("Attendees", lambda e: ", ".join(a.email for a in e.attendees if not a.organizer)),
           Column("Meet", lambda e: "Meet" if e.meet_link else ""))


class CalendarView(QWidget):
    def __init__(self, context: AppContext, tasks: TaskRunner, service: GoogleService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context, self.tasks, self.service = context, tasks, service
        self.mode = "agenda"
        self.day = datetime.now().astimezone().date()
        self.events: list[CalendarEvent] = []
        self.dialogs: list[QWidget] = []
        agenda, week = QRadioButton("Agenda", self), QRadioButton("Week", self)
        agenda.setChecked(True)
        group = QButtonGroup(self)
        for button in (agenda, week):
            group.addButton(button)
        agenda.toggled.connect(lambda on: self.set_mode("agenda" if on else "week"))
        self.previous, self.today, self.next = (QPushButton(t, self) for t in ("◀", "Today", "▶"))
        self.previous.clicked.connect(lambda: self.step(-7))
        self.next.clicked.connect(lambda: self.step(7))
        self.today.clicked.connect(lambda: self.step(0))
        self.range_label = QLabel("", self)
        self.range_label.setObjectName("panelSubheading")
        top = QHBoxLayout()
        for widget in (agenda, week, self.previous, self.today, self.next):
            top.addWidget(widget)
        top.addWidget(self.range_label, 1)
        self.buttons = {}
        for key, text, slot in (("new", "Book a meeting…", self.new_event), ("move", "Move…", self.move_event),
                                ("cancel", "Cancel the event", self.cancel_event),
                                ("open", "Open in Calendar", lambda: self._open("html_link")),
                                ("meet", "Join Meet", lambda: self._open("meet_link"))):
            button = QPushButton(text, self)
            button.clicked.connect(slot)
            self.buttons[key] = button
            top.addWidget(button)
        self.model = KeyedTableModel(COLUMNS, tasks, self)
        self.table = table_view(self, self.model, sort_column=None)
        self.state = QLabel("", self)
        self.state.setObjectName("emptyNote")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.state)
        self._update_navigation()

    # ---- reading the copy ------------------------------------------------------------------------

    def span(self) -> tuple[datetime, datetime]:
        zone = datetime.now().astimezone().tzinfo
        if self.mode == "week":
            return week_range(self.day, zone)
        start = datetime.now().astimezone()
        return start, start + timedelta(days=AGENDA_DAYS)

    def load(self) -> None:
        cache = self.context.cache
        if cache is None:
            return
        start, end = self.span()
        account = self.service.account_email
        zone = start.tzinfo

        async def read() -> list[CalendarEvent]:
            docs = await cache.google.events_between(account, "primary", start, end)
            return [parse_event(doc, zone) for doc in docs]

        self.range_label.setText(f"{start:%d %b} – {(end - timedelta(minutes=1)):%d %b %Y}")
        self.tasks.run(read(), name="read the calendar", on_success=self._show)

    def _show(self, events: list[CalendarEvent]) -> None:
        self.events = [e for e in events if not e.cancelled]
        self.model.set_data(list_data(self.events))
        self.table.resizeColumnsToContents()
        self.state.setText(f"{len(self.events)} events (times in your time zone, "
                           f"{datetime.now().astimezone():%Z})" if self.events else "Nothing booked in this period.")

    def refresh(self, what: frozenset[str]) -> None:
        if "calendar" in what:
            self.load()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self._update_navigation()
        self.load()

    def step(self, days: int) -> None:
        self.day = datetime.now().astimezone().date() if days == 0 else self.day + timedelta(days=days)
        self.load()

    def _update_navigation(self) -> None:
        for button in (self.previous, self.next, self.today):
            button.setVisible(self.mode == "week")

    def selected(self) -> CalendarEvent | None:
        rows = selected_positions(self.table)
        return self.model.row(rows[0]) if rows else None

    # ---- changing ----------------------------------------------------------------------------------

    def new_event(self) -> EventDialog:
        from fidus_desktop.google.crm_actions import SlotBusy, busy_during

        async def book(r: MeetingRequest) -> CalendarEvent:
            if r.check_free:
                busy = await busy_during(self.service, r.start, r.end)
                if busy:
                    raise SlotBusy(busy)

            async def create(g):  # noqa: ANN001, ANN202 (the service's APIs)
                event = await g.calendar.create(r.title, r.start, r.end, description=r.description,
                                                attendees=list(r.attendees), meet=r.meet)
                return await g.calendar.wait_for_meet(event) if r.meet else event

            return await self.service.do(create)

        return self._dialog(EventDialog(self.tasks, book, parent=self))

    def move_event(self) -> EventDialog | None:
        event = self.selected()
        if event is None:
            return None
        minutes = max(5, int((event.end - event.start).total_seconds() // 60))

        async def move(r: MeetingRequest) -> CalendarEvent:
            return await self.service.do(lambda g: g.calendar.move(event.id, r.start, r.end))

        return self._dialog(EventDialog(self.tasks, move, title=event.summary, start=event.start, minutes=minutes,
                                        move_only=True, window_title="Move the event", parent=self))

    def cancel_event(self) -> QMessageBox | None:
        event = self.selected()
        if event is None:
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Cancel the event",
                          f"Cancel \"{event.summary}\" on {_local(event.start)}? Guests are told.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)

        def answered(button) -> None:  # noqa: ANN001 (Qt's button)
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self.tasks.run(self.service.do(lambda g: g.calendar.cancel(event.id)), name="cancel the event",
                               on_success=lambda _: self._changed("Event cancelled."))

        box.buttonClicked.connect(answered)
        box.open()
        self.dialogs.append(box)
        return box

    def _dialog(self, dialog: EventDialog) -> EventDialog:
        dialog.done_booking.connect(lambda event: self._changed(
            f"Booked: {event.summary}" + (f" — Meet {event.meet_link}" if event.meet_link else "")))
        self.dialogs = [d for d in self.dialogs if d.isVisible()] + [dialog]
        dialog.show()
        return dialog

    def _changed(self, text: str) -> None:
        self.state.setText(text)
        self.service.sync_now()

    def _open(self, attribute: str) -> None:
        event = self.selected()
        url = getattr(event, attribute, "") if event else ""
        if url.startswith("https://"):
            QDesktopServices.openUrl(QUrl(url))
