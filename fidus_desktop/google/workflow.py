"""Workflow mails: prepared by rules, reviewed by the manager, never sent by themselves.

The original's "automated workflow emails". A rule (``settings.google.workflow_rules``) fires
when a prospect enters a stage (a ``Changes`` with the ``pipeline`` flag, compared with the
stage last seen) or when a client's payment falls due within its ``days_before``; it fills the
rule's template from the person's record and puts the mail in the review queue, kept in the
local cache (``gmail.review`` notes). Each rule firing has a key (prospect, stage and the
moment it was entered; payment and due day), so the same event never prepares two mails, and a
dropped mail is not prepared again.

The manager sends, edits or drops each mail with one action (``send_review``, the compose
window, ``drop_review``); sending goes through the mail outbox like any mail, so it lands on the
person's timeline. Nothing here calls Google.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..domain.prospects import Prospect, Stage
from ..domain.values import utc_now
from ..errors import FidusError, StorageUnavailable
from ..events import EventType
from ..runtime.service import Service
from ..services.changes import ANY_RECORD, PIPELINE, Changes
from ..timeline import Person, PersonKind
from .person_context import filled
from .templates import DuePayment, Template

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..config import WorkflowRule
    from ..storage.cache import LocalCache

log = logging.getLogger(__name__)

REVIEW = "gmail.review"
WAITING, SENT, DROPPED, QUEUED = "waiting", "sent", "dropped", "queued"


@dataclass(frozen=True, slots=True)
class ReviewMail:
    key: str
    template: str
    person: Person
    subject: str
    text: str
    html: str
    #: Why it was prepared ("Entered stage Won", "Interest #3 due 2026-05-01").
    reason: str
    prepared_at: datetime
    status: str = WAITING

    def to_doc(self) -> dict[str, Any]:
        return {"key": self.key, "template": self.template, "person": {"kind": self.person.kind.value,
                "id": self.person.id, "name": self.person.name, "email": self.person.email},
                "subject": self.subject, "text": self.text, "html": self.html, "reason": self.reason,
                "prepared_at": self.prepared_at.isoformat(), "status": self.status}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ReviewMail:
        p = doc["person"]
        return cls(str(doc["key"]), str(doc.get("template", "")), Person(PersonKind(p["kind"]), str(p["id"]),
                   str(p.get("name", "")), str(p.get("email", ""))), str(doc.get("subject", "")),
                   str(doc.get("text", "")), str(doc.get("html", "")), str(doc.get("reason", "")),
                   datetime.fromisoformat(doc["prepared_at"]), str(doc.get("status", WAITING)))


async def reviews(cache: LocalCache, *, status: str = WAITING) -> list[ReviewMail]:
    out = []
    for _key, doc, _saved in await cache.google.notes(REVIEW):
        try:
            mail = ReviewMail.from_doc(doc)
        except (KeyError, ValueError, TypeError):
            continue
        if mail.status == status:
            out.append(mail)
    out.sort(key=lambda m: m.prepared_at, reverse=True)
    return out


async def mark_review(cache: LocalCache | None, key: str, status: str, gmail_id: str = "") -> None:
    """Keep the note (so the event never prepares another mail) with its outcome."""
    if cache is None:
        return
    doc = await cache.google.get_note(REVIEW, key)
    if doc is None:
        return
    doc["status"] = status
    if gmail_id:
        doc["gmail_id"] = gmail_id
    await cache.google.put_note(REVIEW, key, doc)


async def prepare(context: AppContext, key: str, person: Person, template: str, reason: str, *,
                  payment: DuePayment | None = None) -> ReviewMail | None:
    """Put the templated mail in the review queue, unless this event already prepared one."""
    cache = context.cache
    if cache is None or not person.email:
        return None
    if await cache.google.get_note(REVIEW, key) is not None:
        return None
    text = await filled(context, person, template, payment=payment)
    mail = ReviewMail(key, text.template.value, person, text.subject, text.text, text.html, reason, utc_now())
    await cache.google.put_note(REVIEW, key, mail.to_doc())
    log.info("workflow mail prepared for review: %s (%s)", text.subject, reason)
    context.events.publish(EventType.GOOGLE_CHANGED, _update({"review"}))
    return mail


async def send_review(context: AppContext, review: ReviewMail, *, text: str | None = None,
                      subject: str | None = None) -> str:
    """The manager's "Send" (or "Send" after editing): through the mail outbox, onto the timeline."""
    from ..services.google_service import GoogleService
    from .errors import GoogleNotConnected
    from .mime import OutgoingMail

    service = context.service(GoogleService)
    if service is None:
        raise GoogleNotConnected("Connect the Google account to send this mail.")
    edited = text is not None and text != review.text
    mail = OutgoingMail([review.person.email], subject if subject is not None else review.subject,
                        text if text is not None else review.text, "" if edited else review.html)
    return await service.send(mail, person=review.person, template=review.template, review_key=review.key)


async def drop_review(context: AppContext, key: str) -> None:
    await mark_review(context.cache, key, DROPPED)
    context.events.publish(EventType.GOOGLE_CHANGED, _update({"review"}))


def _update(what: set[str]) -> Any:
    from ..services.google_service import GoogleUpdate

    return GoogleUpdate(frozenset(what))


class WorkflowMailService(Service):
    """Watches stages and due payments and prepares the mails the rules ask for."""

    name = "workflow-mail"

    def __init__(self, context: AppContext, *, check_seconds: float = 3600.0) -> None:
        super().__init__()
        self.context = context
        self.check_seconds = check_seconds
        #: Prospect id -> the stage last seen.
        self.stages: dict[str, Stage] = {}
        #: Stages are compared with what was read first: until then nothing "enters" a stage
        #: (a database offline at start must not make every prospect look new).
        self.loaded = False
        self._changed: set[str] = set()
        self._rescan = False
        self._wake = asyncio.Event()
        context.events.subscribe(EventType.DATA_CHANGED, self._on_changes)

    def rules(self) -> tuple[WorkflowRule, ...]:
        return tuple(r for r in self.context.settings.google.workflow_rules if r.enabled)

    async def start(self) -> None:
        await super().start()
        self.spawn(self._run(), "rules")

    def _on_changes(self, changes: Changes) -> None:
        if PIPELINE not in changes.flags or changes.pending:
            return  # a queued change is judged when it reaches the database (its replay)
        if changes.names_no_record("prospects"):
            self._rescan = True
        self._changed |= {p for p in changes.prospects if p != ANY_RECORD}
        self._wake.set()

    async def _run(self) -> None:
        await self._load_stages()
        last_payments: datetime | None = None
        while True:
            self._wake.clear()  # before reading what changed: a change meanwhile wakes the next round
            try:
                if self._rescan:
                    self._rescan = False
                    await self._check_prospects(None)
                if self._changed:
                    ids, self._changed = self._changed, set()
                    await self._check_prospects(ids)
                if last_payments is None or utc_now() - last_payments >= timedelta(seconds=self.check_seconds):
                    last_payments = utc_now()
                    await self.check_payments()
            except (FidusError, OSError) as exc:
                log.warning("workflow rules not checked: %s", exc)
            try:
                async with asyncio.timeout(self.check_seconds):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _load_stages(self) -> None:
        store = self.context.store
        if store is None:
            return
        try:
            self.stages = {p.prospect_id: p.stage for p in await store.prospects.find()}
            self.loaded = True
        except StorageUnavailable as exc:
            log.info("prospect stages not read yet: %s", exc)

    async def _check_prospects(self, ids: Iterable[str] | None) -> None:
        store = self.context.store
        if store is None:
            return
        if not self.loaded:
            await self._load_stages()
            return
        if ids is None:
            prospects = await store.prospects.find()
        else:
            prospects = [p for p in [await store.prospects.find_one(i) for i in ids] if p is not None]
        for prospect in prospects:
            before = self.stages.get(prospect.prospect_id)
            self.stages[prospect.prospect_id] = prospect.stage
            if before is not prospect.stage:
                await self._entered(prospect)

    async def _entered(self, prospect: Prospect) -> None:
        moment = (prospect.updated_at or utc_now()).isoformat()
        person = Person(PersonKind.PROSPECT, prospect.prospect_id, prospect.name, prospect.email)
        for rule in self.rules():
            if rule.trigger == "stage" and Stage.read(rule.stage) is prospect.stage:
                await prepare(self.context, f"stage:{prospect.prospect_id}:{prospect.stage.value}:{moment}",
                              person, rule.template, f"Entered stage {prospect.stage.label}")

    async def check_payments(self) -> int:
        """Prepare the mails of payments falling due within each rule's ``days_before``."""
        rules = [r for r in self.rules() if r.trigger == "payment_due"]
        store = self.context.store
        if not rules or store is None:
            return 0
        from ..services.payment_calendar import CalendarFilter, PaymentState
        from ..services.portfolio_service import PortfolioService

        portfolio = self.context.service(PortfolioService)
        if portfolio is None:
            return 0
        today = utc_now().date()
        prepared = 0
        emails: dict[str, str] = {}
        for rule in rules:
            flt = CalendarFilter(first=today, last=today + timedelta(days=max(0, rule.days_before)),
                                 states=frozenset({PaymentState.DUE}))
            for row in (await portfolio.calendar(flt)).rows():
                if row.client_id not in emails:
                    client = await store.clients.find_one(row.client_id)
                    emails[row.client_id] = client.email if client is not None else ""
                person = Person(PersonKind.CLIENT, row.client_id, row.client_name, emails[row.client_id])
                payment = DuePayment(row.due, row.amount, row.label, row.product)
                key = f"payment:{row.investment_id}:{row.kind.value}:{row.number}:{row.due.isoformat()}"
                if await prepare(self.context, key, person, rule.template,
                                 f"{row.label} of {row.product} due {row.due.isoformat()}", payment=payment):
                    prepared += 1
        return prepared


__all__ = ["DROPPED", "QUEUED", "REVIEW", "SENT", "WAITING", "ReviewMail", "Template", "WorkflowMailService",
           "drop_review", "mark_review", "prepare", "reviews", "send_review"]
