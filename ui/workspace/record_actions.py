"""The Google actions a CRM record pane offers for its person: "Email", "Schedule meeting",
"Share documents", and the mail from and to them.

For the CRM panel (``ui/crm``), which calls these with the record's :class:`Person`::

    from ui.workspace.record_actions import email_person, schedule_meeting, share_documents, person_mail
    email_person(self, self.context, self.tasks, person, template="document_request")
    schedule_meeting(self, self.context, self.tasks, person, kind="consultation")
    share_documents(self, self.context, self.tasks, person)
    self.tasks.run(person_mail(self.context, person), on_success=self.show_mail)

Each opens a non-modal window (or says why it cannot: no Google account) and returns it. What the
manager does there lands on the person's timeline (``activity_logs`` entries of type
``email_sent``, ``meeting_scheduled``, ``documents_shared``, with the Google ids and links in
``details``, see :mod:`fidus_desktop.timeline`); the record refreshes on the ``timeline``
``Changes``. ``actions_available(context)`` tells whether to enable the buttons.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox, QWidget

from fidus_desktop.google.drafts import Draft, new_key
from fidus_desktop.google.templates import Template
from fidus_desktop.services.google_service import GoogleService
from fidus_desktop.timeline import Person

from .compose import ComposeDialog
from .event_dialog import EventDialog, MeetingRequest
from .share_dialog import ShareDialog

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.storage.google_cache import CachedMessage
    from ui.tasks import TaskRunner

#: The original's two meeting kinds (reference §3.3): title and length.
MEETINGS = {"consultation": ("Investment Consultation", 60), "followup": ("Follow-up Meeting", 30)}
#: Templates offered by "Email", in the record's menu order.
EMAIL_TEMPLATES = (Template.DOCUMENT_REQUEST, Template.MEETING_FOLLOWUP, Template.WELCOME, Template.INVESTMENT_REPORT)


def actions_available(context: AppContext) -> bool:
    service = context.service(GoogleService)
    return service is not None and service.running


def _service(parent: QWidget, context: AppContext) -> GoogleService | None:
    service = context.service(GoogleService)
    if service is None or not service.running:
        box = QMessageBox(QMessageBox.Icon.Information, "Google Workspace",
                          "Connect the fund's Google account first (Workspace panel).",
                          QMessageBox.StandardButton.Close, parent)
        box.open()
        return None
    return service


def _person_doc(person: Person) -> dict[str, str]:
    return {"kind": person.kind.value, "id": person.id, "name": person.name, "email": person.email}


def email_person(parent: QWidget, context: AppContext, tasks: TaskRunner, person: Person, *,
                 template: Template | str | None = None) -> ComposeDialog | None:
    """A compose window to the person; with ``template``, filled from their record (name, fund,
    amounts) once read. Sent mail is written on the person's timeline."""
    service = _service(parent, context)
    if service is None:
        return None
    draft = Draft(new_key(service.account_email), to=person.email, person=_person_doc(person),
                  template=Template(template).value if template else "")
    dialog = ComposeDialog(context, tasks, draft, parent)
    if template:
        from fidus_desktop.google.crm_actions import email_template

        def fill(text: Any) -> None:
            # The template's HTML goes out as long as its text is not edited (then the text does).
            dialog.draft = dataclasses.replace(dialog.draft, subject=text.subject, text=text.text, html=text.html)
            dialog.subject.setText(text.subject)
            dialog.body.setPlainText(text.text)

        dialog.state.setText("Filling the template from the record…")
        tasks.run(email_template(context, person, template), name="fill the mail template", on_success=fill)
    dialog.show()
    return dialog


def schedule_meeting(parent: QWidget, context: AppContext, tasks: TaskRunner, person: Person, *,
                     kind: str = "consultation") -> EventDialog | None:
    """Book a meeting with the person: free/busy checked first, invitation sent, Meet link, and the
    event (id, links) on their timeline."""
    service = _service(parent, context)
    if service is None:
        return None
    from fidus_desktop.google.crm_actions import schedule_meeting as book_meeting

    title, minutes = MEETINGS.get(kind, MEETINGS["consultation"])

    async def book(r: MeetingRequest) -> Any:
        return await book_meeting(context, service, person, title=r.title, start=r.start, end=r.end,
                                  description=r.description, meet=r.meet, attendees=r.attendees,
                                  check_free=r.check_free)

    dialog = EventDialog(tasks, book, title=f"{title} - {person.name}", minutes=minutes,
                         description=f"{title} with {person.name}\nContact: {person.email}",
                         window_title=f"Schedule a meeting with {person.name}", parent=parent)
    dialog.show()
    return dialog


def share_documents(parent: QWidget, context: AppContext, tasks: TaskRunner, person: Person, *,
                    files: list[str] | None = None) -> ShareDialog | None:
    """The person's Drive folder shared with them (and files uploaded into it), on their timeline."""
    service = _service(parent, context)
    if service is None:
        return None
    dialog = ShareDialog(context, tasks, service, person, parent, files=files)
    dialog.show()
    return dialog


async def person_mail(context: AppContext, person: Person, *, limit: int = 50) -> list[CachedMessage]:
    """Mail from and to the person, newest first, from the local copy (for their record)."""
    service = context.service(GoogleService)
    if service is None or context.cache is None or not person.email:
        return []
    return await context.cache.google.messages_with(service.account_email, person.email, limit=limit)
