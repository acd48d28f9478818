"""Mail that must not be lost: every send goes through the local outbox, exactly once.

Sending is write-ahead: the MIME bytes (with the ``Message-ID`` chosen here) are kept in the
local cache's outbox first (kind ``google.mail``), then delivered by the outbox replayer, at
once when Google answers, or later when it is back. The manager's window shows such a mail as
"waiting to send" until then, and a draft is only deleted once its mail is in the outbox.

Exactly once: before sending, the handler asks Gmail whether the Sent label already holds a
message with this ``Message-ID`` (``rfc822msgid:``); a send whose answer was lost (the
connection broke after Gmail took it, or the app died before noting it) is then recognised and
not repeated. What was sent lands on the person's timeline through the write path, under an
operation id derived from the ``Message-ID``, so a replay never records it twice.

This module needs no Google library: the handler reaches Gmail through the service.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..crm.timeline import EventKind
from ..domain.values import utc_now
from ..errors import FidusError
from ..runtime.notices import Notice
from ..runtime.outbox import RetryLater
from ..timeline import (
    Person,
    PersonKind,
    TimelineLink,
    record_event,
    timeline_operation,
)
from .errors import GoogleNotConnected, GoogleUnavailable, ReconnectNeeded

if TYPE_CHECKING:
    from ..storage.cache import LocalCache, OutboxItem
    from .gmail import Gmail, SentMail

log = logging.getLogger(__name__)

MAIL_KIND = "google.mail"
#: One delivery attempt at most (the client layer's own retries included).
DELIVERY_SECONDS = 90.0


@dataclass(frozen=True, slots=True)
class QueuedMail:
    """A mail as the outbox keeps it (what the window lists as "waiting to send")."""

    item_id: int
    message_id: str
    to: str
    subject: str
    queued_at: datetime
    attempts: int = 0
    #: Why it is still waiting (Google's answer), or why it is held for the manager.
    reason: str = ""
    #: ``True`` when retrying will not help (a refused address): the manager retries or drops it.
    held: bool = False


def mail_payload(mime: bytes, *, message_id: str, to: str, subject: str, thread_id: str = "",
                 person: Person | None = None, template: str = "", review_key: str = "") -> dict[str, Any]:
    payload: dict[str, Any] = {
        "raw": base64.b64encode(mime).decode("ascii"), "message_id": message_id, "thread_id": thread_id,
        "to": to, "subject": subject, "summary": f"Mail to {to}: {subject}", "queued_at": utc_now().isoformat(),
        "template": template, "review_key": review_key}
    if person is not None:
        payload["person"] = {"kind": person.kind.value, "id": person.id, "name": person.name, "email": person.email}
    return payload


def queued_mail(item: OutboxItem) -> QueuedMail:
    p = item.payload
    return QueuedMail(item.id, str(p.get("message_id", "")), str(p.get("to", "")), str(p.get("subject", "")),
                      item.created_at, item.attempts, item.last_error, item.needs_attention)


async def queued_mails(cache: LocalCache) -> list[QueuedMail]:
    return [queued_mail(item) for item in await cache.pending() if item.kind == MAIL_KIND]


def gmail_link(thread_id: str) -> str:
    return f"https://mail.google.com/mail/u/0/#all/{thread_id}"


def person_of(payload: Mapping[str, Any]) -> Person | None:
    data = payload.get("person")
    if not isinstance(data, Mapping) or not data.get("id"):
        return None
    return Person(PersonKind(str(data["kind"])), str(data["id"]), str(data.get("name", "")),
                  str(data.get("email", "")))


async def waiting_for_account(payload: dict[str, Any]) -> None:
    """The handler while no Google account is connected: the mail waits, it is never dropped."""
    raise RetryLater("No Google account is connected: connect it in the Workspace panel to send this mail.")


class MailDelivery:
    """The outbox handler of ``google.mail`` items, bound to the running Google service."""

    def __init__(self, service: Any) -> None:
        #: The :class:`~fidus_desktop.services.google_service.GoogleService` (duck-typed: no cycle).
        self.service = service

    async def __call__(self, payload: dict[str, Any]) -> None:
        service = self.service
        if service.reconnect_needed:
            raise RetryLater(f"Waiting for the Google account to be connected again: {service.reconnect_needed}")
        try:
            apis = await service.ready()
        except GoogleNotConnected as exc:
            raise RetryLater(exc.message) from None
        mime = base64.b64decode(str(payload["raw"]))
        try:
            # Bounded: the outbox replays one item at a time, and fund writes may wait behind this.
            # A send cut short is safe: the next attempt looks in Sent before sending again.
            async with asyncio.timeout(DELIVERY_SECONDS):
                sent = await self._send_once(apis.gmail, mime, str(payload.get("message_id", "")),
                                             str(payload.get("thread_id", "")))
        except TimeoutError:
            raise RetryLater("Gmail took too long to answer; the mail is tried again shortly.") from None
        except ReconnectNeeded as exc:
            service.need_reconnect(exc)
            raise RetryLater(exc.message) from None
        except GoogleUnavailable as exc:
            service.report_unavailable(exc)
            raise RetryLater(exc.message) from None
        await self._after_sent(payload, sent)

    @staticmethod
    async def _send_once(gmail: Gmail, mime: bytes, message_id: str, thread_id: str) -> SentMail:
        already = await gmail.find_sent(message_id)
        if already is not None:
            log.info("mail %s was already in Sent: not sent again", message_id)
            return already
        return await gmail.send_raw(mime, thread_id=thread_id)

    async def _after_sent(self, payload: dict[str, Any], sent: SentMail) -> None:
        service = self.service
        to, subject = str(payload.get("to", "")), str(payload.get("subject", ""))
        person = person_of(payload)
        if person is not None:
            await self._record(person, payload, sent)
        review_key = str(payload.get("review_key") or "")
        if review_key:
            from .workflow import mark_review

            await mark_review(service.context.cache, review_key, "sent", sent.id)
        service.mail_sent(Notice(f"Mail to {to} sent: {subject}"))

    async def _record(self, person: Person, payload: Mapping[str, Any], sent: SentMail) -> None:
        message_id = str(payload.get("message_id", ""))
        details = {"gmail_message_id": sent.id, "gmail_thread_id": sent.thread_id, "message_id": message_id,
                   "to": str(payload.get("to", "")), "subject": str(payload.get("subject", ""))}
        if payload.get("template"):
            details["template"] = str(payload["template"])
        audit = record_event(person.kind, person.id, EventKind.EMAIL, f"E-mail sent: {payload.get('subject', '')}",
                             details, [TimelineLink("Open in Gmail", gmail_link(sent.thread_id))])
        try:
            await self.service.context.writer.submit(timeline_operation(audit, kind="google.email",
                                                                        key=message_id or sent.id))
        except FidusError as exc:  # the mail went: never send it again because its note failed
            log.warning("mail %s sent, but its timeline entry was not written: %s", message_id, exc)
