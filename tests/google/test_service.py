"""The Google service in the runtime: sync and health, mail through the outbox exactly once,
the reconnect prompt on invalid_grant, and workflow mails that wait for the manager."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import UTC, datetime, timedelta

from fidus_desktop.events import EventType
from fidus_desktop.google.mail_outbox import MAIL_KIND, queued_mails
from fidus_desktop.google.mime import OutgoingMail
from fidus_desktop.google.workflow import SENT, WAITING, WorkflowMailService, reviews
from fidus_desktop.runtime.notices import NoticeLevel
from fidus_desktop.runtime.operations import Audit, Operation
from fidus_desktop.services.changes import PIPELINE
from fidus_desktop.services.google_service import GoogleService
from fidus_desktop.services.health import ServiceName, ServiceState
from fidus_desktop.storage.query import Eq, Query
from fidus_desktop.timeline import Person, PersonKind

from .conftest import ACCOUNT, wait_for
from .fake.gmail import simple_mail


def service_of(app) -> GoogleService:
    service = app.service(GoogleService)
    assert service is not None
    return service


async def test_the_service_syncs_both_copies_and_says_online(app, fake):
    fake.gmail.add(simple_mail("Quarterly statement"))
    seen = []
    app.events.subscribe(EventType.GOOGLE_CHANGED, seen.append)
    service = service_of(app)
    await wait_for(lambda: app.health.get(ServiceName.GOOGLE).state is ServiceState.ONLINE)
    assert app.health.get(ServiceName.GOOGLE).source == ACCOUNT
    listed = await app.cache.google.list_messages(ACCOUNT, label="INBOX")
    assert [m.subject for m in listed] == ["Quarterly statement"]
    assert any("mail" in update.what for update in seen)

    fake.gmail.add(simple_mail("A second one"))
    seen.clear()
    service.sync_now()
    await wait_for(lambda: any("mail" in u.what for u in seen))
    assert len(await app.cache.google.list_messages(ACCOUNT, label="INBOX")) == 2


async def test_google_failing_makes_the_copy_stale_not_gone(app, fake):
    fake.gmail.add(simple_mail("Kept here"))
    service = service_of(app)
    await wait_for(lambda: app.health.get(ServiceName.GOOGLE).state is ServiceState.ONLINE)
    fake.fail("gmail.profile", 503, times=50)
    fake.fail("gmail.history.list", 503, times=50)
    await service.sync_once()
    status = app.health.get(ServiceName.GOOGLE)
    assert status.state is ServiceState.STALE and "this computer" in status.detail
    assert [m.subject for m in await app.cache.google.list_messages(ACCOUNT)] == ["Kept here"]


async def _person(app) -> Person:
    [prospect] = (await app.store.prospects.find(Query(limit=1)))
    return Person(PersonKind.PROSPECT, prospect.prospect_id, prospect.name, "ana.client@example.com")


async def test_a_mail_sent_while_google_fails_waits_then_goes_exactly_once(app, fake):
    service = service_of(app)
    await wait_for(lambda: service.apis is not None)
    fake.fail("gmail.messages.send", 503, times=3)
    person = await _person(app)
    message_id = await service.send(OutgoingMail(["ana.client@example.com"], "Your statement", "Attached."),
                                    person=person)
    await wait_for(lambda: len(fake.received("gmail.messages.send")) >= 1)
    await wait_for(lambda: service.outbox.state.waiting >= 1)
    waiting = await queued_mails(app.cache)
    assert [m.subject for m in waiting] == ["Your statement"] and "not answering" in waiting[0].reason
    assert fake.gmail.sent == []

    # Google answers again: the mails that waited go at once (not at their next retry), once.
    # the three failures, a real backoff apart (slow on a loaded machine)
    await wait_for(lambda: len(fake.received("gmail.messages.send")) == 3, timeout=60)
    # ...and the third failure recorded (its next attempt set): Google's answer reaches the fake
    # before the outbox has written it down, and a resume in between is overtaken by it.
    async with asyncio.timeout(15):
        while [item.attempts for item in await app.cache.pending()] != [3]:
            await asyncio.sleep(0.02)
    await service.resume_mail()
    await wait_for(lambda: len(fake.gmail.sent) == 1)
    await wait_for(lambda: service.outbox.state.waiting == 0)
    await service.outbox.run_once()
    assert len(fake.gmail.sent) == 1
    sent = email.message_from_bytes(fake.gmail.sent[0]["raw"], policy=email.policy.default)
    assert sent["Message-ID"] == message_id and sent["Subject"] == "Your statement"
    # ...and it is on the person's timeline, with the Gmail ids and a link.
    entries = await app.store.activity.find(Query(where=(Eq("prospect_id", person.id),)))
    [mail_entry] = [e for e in entries if e.activity_type == "email_sent"]
    assert mail_entry.details["gmail_message_id"] == fake.gmail.sent[0]["id"]
    assert mail_entry.details["links"][0]["url"].startswith("https://mail.google.com/")


async def test_a_send_whose_answer_was_lost_is_not_sent_again(app, fake):
    service = service_of(app)
    await wait_for(lambda: service.apis is not None)
    fake.gmail.lose_send_answers = 1  # Gmail keeps it, the answer never arrives
    await service.send(OutgoingMail(["ana.client@example.com"], "Only once", "Hello"))
    await wait_for(lambda: len(fake.gmail.sent) == 1)
    # Still waiting for its retry: tried now. (The outbox may already have retried it on its own
    # while this test was away: the test read the queue too late then, which proves nothing.)
    for item in await queued_mails(app.cache):
        await service.outbox.retry(item.item_id)
    await wait_for(lambda: service.outbox.state.waiting == 0)
    assert len(fake.gmail.sent) == 1  # found in Sent by its Message-ID: not sent twice
    assert len(fake.received("gmail.messages.send")) == 1


async def test_invalid_grant_prompts_to_reconnect_and_keeps_the_waiting_mail(app, fake, browser):
    service = service_of(app)
    await wait_for(lambda: app.health.get(ServiceName.GOOGLE).state is ServiceState.ONLINE)
    notices = []
    app.events.subscribe(EventType.NOTICE, notices.append)
    fake.oauth.revoke_all()
    fake.oauth.expire_access_tokens()
    await service.sync_once()
    status = app.health.get(ServiceName.GOOGLE)
    assert status.state is ServiceState.OFFLINE and status.detail.startswith("Reconnect needed")
    assert service.reconnect_needed
    assert [n.level for n in notices if "reconnect" in n.text.lower()] == [NoticeLevel.IMPORTANT]

    await service.send(OutgoingMail(["ana.client@example.com"], "Kept meanwhile", "Hello"))
    await service.outbox.run_once()
    [waiting] = await queued_mails(app.cache)
    assert "connected again" in waiting.reason and fake.gmail.sent == []

    service.account.open_browser = browser
    await service.reconnect()
    await wait_for(lambda: len(fake.gmail.sent) == 1)
    assert not service.reconnect_needed
    await wait_for(lambda: app.health.get(ServiceName.GOOGLE).state is ServiceState.ONLINE)


async def _move(app, prospect, stage) -> None:
    from fidus_desktop.domain.prospects import Stage
    from fidus_desktop.domain.values import utc_now

    edited = prospect.evolve(stage=Stage(stage))
    patch = app.store.prospects.patch_of(edited, utc_now())
    await app.writer.submit(Operation("prospect.move", (patch,), Audit("stage_changed", f"{prospect.name} -> {stage}",
                                                                      prospect_id=prospect.prospect_id),
                                      flags=frozenset({PIPELINE})))


async def test_a_stage_change_queues_its_mail_for_review_and_sends_nothing(app, fake):
    service = service_of(app)
    workflow = app.service(WorkflowMailService)
    await wait_for(lambda: workflow.loaded and service.apis is not None)
    from fidus_desktop.domain.prospects import Stage

    prospect = next(p for p in await app.store.prospects.find() if p.stage is not Stage.WON and p.email)
    await _move(app, prospect, "won")
    async def stage_mails(status=WAITING):
        return [m for m in await reviews(app.cache, status=status) if m.key.startswith("stage:")]

    await wait_for_async(stage_mails, timeout=10)
    [review] = await stage_mails()
    assert review.template == "welcome" and review.person.id == prospect.prospect_id
    assert prospect.name in review.text and review.status == WAITING
    await service.outbox.run_once()
    assert fake.gmail.sent == [] and fake.received("gmail.messages.send") == []
    assert [i for i in await app.cache.pending() if i.kind == MAIL_KIND] == []

    # The same stage entry never prepares a second mail.
    workflow._changed.add(prospect.prospect_id)
    workflow._wake.set()
    await service.outbox.run_once()
    assert len(await stage_mails()) == 1

    # The manager sends it: once, on the timeline, and the review says sent.
    from fidus_desktop.google.workflow import send_review

    await send_review(app, review)
    await wait_for(lambda: len(fake.gmail.sent) == 1)
    await wait_for_async(lambda: stage_mails(SENT))
    assert await stage_mails() == []


async def wait_for_async(make, timeout: float = 15.0) -> None:
    import asyncio

    async with asyncio.timeout(timeout):
        while not await make():
            await asyncio.sleep(0.05)


async def test_a_payment_falling_due_prepares_the_investment_report(app, fake):
    workflow = app.service(WorkflowMailService)
    await wait_for(lambda: workflow.loaded)
    from fidus_desktop.services.payment_calendar import CalendarFilter, PaymentState
    from fidus_desktop.services.portfolio_service import PortfolioService

    portfolio = app.service(PortfolioService)
    await portfolio.ready()
    today = datetime.now(UTC).date()
    due = (await portfolio.calendar(CalendarFilter(first=today, last=today + timedelta(days=3),
                                                   states=frozenset({PaymentState.DUE})))).rows()
    await workflow.check_payments()  # whatever the start-up check left, this one finds it done
    mails = [m for m in await reviews(app.cache) if m.key.startswith("payment:")]
    assert len(mails) == len(due)
    if due:  # the demo fund's calendar decides whether something is due this week
        assert all(m.template == "investment_report" for m in mails)
        assert "due on" in mails[0].text
    assert await workflow.check_payments() == 0  # never twice
    assert fake.gmail.sent == []
