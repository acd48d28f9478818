"""Booking or moving a meeting: title, local start and length, attendees, a Meet link.

Times are typed on the manager's clock and sent aware. Before booking, the free/busy check runs
(in the owner's ``book`` coroutine); a busy slot keeps the window open with "Book anyway".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (QCheckBox, QDateTimeEdit, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from fidus_desktop.errors import FidusError

if TYPE_CHECKING:
    from ui.tasks import TaskRunner


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    title: str
    start: datetime
    end: datetime
    attendees: tuple[str, ...]
    meet: bool
    description: str
    #: ``False`` once the manager chose "Book anyway" over a busy slot.
    check_free: bool = True


def _qt_local(moment: datetime) -> QDateTime:
    local = moment.astimezone()
    return QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))


class EventDialog(QDialog):
    done_booking = Signal(object)

    def __init__(self, tasks: TaskRunner, book: Callable[[MeetingRequest], Awaitable[Any]], *, title: str = "",
                 start: datetime | None = None, minutes: int = 60, attendees: str = "", meet: bool = True,
                 description: str = "", move_only: bool = False, window_title: str = "Book a meeting",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self._book = book
        self.setWindowTitle(window_title)
        self.setMinimumWidth(480)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #B00020")
        self.error.hide()
        self.title = QLineEdit(title, self)
        first = start or (datetime.now().astimezone() + timedelta(days=1)).replace(hour=14, minute=0, second=0,
                                                                                  microsecond=0)
        self.start = QDateTimeEdit(_qt_local(first), self)
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.minutes = QSpinBox(self)
        self.minutes.setRange(5, 24 * 60)
        self.minutes.setSingleStep(15)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(minutes)
        self.attendees = QLineEdit(attendees, self)
        self.attendees.setPlaceholderText("guest@example.com, another@example.com")
        self.meet = QCheckBox("Add a Google Meet link", self)
        self.meet.setChecked(meet)
        self.description = QPlainTextEdit(description, self)
        self.description.setMaximumHeight(90)
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Starts (your time)", self.start)
        form.addRow("Length", self.minutes)
        if not move_only:
            form.addRow("Invite", self.attendees)
            form.addRow("", self.meet)
            form.addRow("Notes", self.description)
        else:
            self.title.setReadOnly(True)
        self.save = QPushButton("Move" if move_only else "Book", self)
        self.save.setDefault(True)
        self.save.clicked.connect(lambda: self.submit(check_free=True))
        self.anyway = QPushButton("Book anyway", self)
        self.anyway.clicked.connect(lambda: self.submit(check_free=False))
        self.anyway.hide()
        cancel = QPushButton("Cancel", self)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (cancel, self.anyway, self.save):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error)
        layout.addLayout(form)
        layout.addLayout(buttons)

    def request(self, check_free: bool) -> MeetingRequest:
        start = self.start.dateTime().toPython().astimezone()  # typed on the local clock: made aware
        from fidus_desktop.google.drafts import split_addresses

        return MeetingRequest(self.title.text().strip(), start, start + timedelta(minutes=self.minutes.value()),
                              tuple(split_addresses(self.attendees.text())), self.meet.isChecked(),
                              self.description.toPlainText(), check_free)

    def submit(self, *, check_free: bool) -> None:
        self.error.hide()
        self.save.setEnabled(False)
        self.anyway.setEnabled(False)
        self.tasks.run(self._book(self.request(check_free)), name="book the meeting", on_success=self._booked,
                       on_failure=self.show_failure)

    def _booked(self, result: Any) -> None:
        self.done_booking.emit(result)
        self.accept()

    def show_failure(self, exc: BaseException) -> None:
        from fidus_desktop.google.crm_actions import SlotBusy

        self.save.setEnabled(True)
        self.anyway.setEnabled(True)
        self.anyway.setVisible(isinstance(exc, SlotBusy))
        if not isinstance(exc, FidusError):
            self.tasks.report(exc, "booking the meeting")
        self.error.setText(str(exc) if isinstance(exc, FidusError) else "The meeting could not be booked.")
        self.error.show()
