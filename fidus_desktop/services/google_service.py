"""The Google Workspace service: the connected account, its local copies kept current, and sending.

Runs while a Google account is connected (``AppContext.start`` adds it then; a
connection made from the window adds it with :func:`ensure_google_service`). It

* loads the Google client library in the I/O lane (it costs up to a second: never on the loop's
  thread), builds the account from the keyring and runs every blocking call in the I/O lane;
* brings the Gmail copy (history id) and the Calendar copy (sync token) up to date every
  ``google.sync_interval_seconds`` and on :meth:`sync_now`, publishing ``GOOGLE_CHANGED``;
* reports ``ServiceName.GOOGLE`` health: online, stale (Google failing: the copies are shown),
  offline with "reconnect" when Google refuses the saved sign-in (``invalid_grant``). That
  becomes a prompt (an important notice, the health state, :attr:`reconnect_needed`) and nothing
  the manager was doing is dropped: syncing pauses, mails wait in the outbox, the window keeps
  its dialogs, and :meth:`reconnect` resumes everything;
* sends mail through the outbox (:mod:`fidus_desktop.google.mail_outbox`): :meth:`send`.

Panels reach Gmail, Calendar and Drive with :meth:`do`, which waits until the account is ready
and turns a refused sign-in into the prompt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..domain.values import utc_now
from ..errors import FidusError
from ..events import EventType
from ..google.errors import GoogleError, GoogleNotConnected, GoogleUnavailable, ReconnectNeeded
from ..google.mail_outbox import MAIL_KIND, MailDelivery, mail_payload
from ..runtime.notices import Notice, NoticeLevel
from ..runtime.service import Service
from .health import ServiceName, ServiceState

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..google.account import GoogleAccount
    from ..google.calendar import Calendar
    from ..google.calendar_sync import CalendarSync
    from ..google.consent import ConsentFlow
    from ..google.drive import Drive
    from ..google.gmail import Gmail
    from ..google.gmail_sync import GmailSync
    from ..google.mime import OutgoingMail
    from ..timeline import Person

log = logging.getLogger(__name__)

#: What the service imports in the I/O lane before anything uses it (the client library).
GOOGLE_MODULES = ("fidus_desktop.google.account", "fidus_desktop.google.gmail_sync",
                  "fidus_desktop.google.calendar_sync", "googleapiclient.discovery", "googleapiclient.http")


@dataclass(frozen=True, slots=True)
class GoogleUpdate:
    """Payload of ``EventType.GOOGLE_CHANGED``: which parts changed (``mail``, ``calendar``,
    ``outbox``, ``review``, ``account``)."""

    what: frozenset[str]
    detail: str = ""


@dataclass(frozen=True, slots=True)
class GoogleApis:
    account_email: str
    gmail: Gmail
    calendar: Calendar
    drive: Drive
    mail: GmailSync
    events: CalendarSync


def new_account(context: AppContext) -> GoogleAccount:
    """A :class:`GoogleAccount` on the core's I/O lane. Imports the client library: call it in
    the I/O lane (``await context.lanes.io.run(lambda: new_account(context))``)."""
    from ..google.account import GoogleAccount

    io = context.lanes.io
    return GoogleAccount(context.settings.google, context.secrets,
                         lambda fn: io.run(fn, action="google"), cache_dir=context.paths.cache_dir)


class GoogleService(Service):
    name = "google"

    def __init__(self, context: AppContext, *, account: GoogleAccount | None = None) -> None:
        super().__init__()
        self.context = context
        self.account = account
        self.apis: GoogleApis | None = None
        #: Why Google wants a new sign-in ("" when it does not): the reconnect prompt.
        self.reconnect_needed = ""
        #: Why the account could not be opened at all (no grant, a damaged client file).
        self.problem = ""
        self.last_sync: datetime | None = None
        self.syncing = False
        self._wake: asyncio.Event | None = None
        self._ready: asyncio.Event | None = None
        from ..runtime.outbox import OutboxService

        self.outbox = context.service(OutboxService)
        self.delivery = MailDelivery(self)
        if self.outbox is not None:
            self.outbox.add_handler(MAIL_KIND, self.delivery, ordered=False)

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self.running:
            return
        await super().start()
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()
        self.problem = ""
        self._report(ServiceState.CONNECTING, "Opening the Google account…")
        self.spawn(self._run(), "sync")

    async def _run(self) -> None:
        try:
            await self._prepare()
        except FidusError as exc:
            self.problem = exc.message
            if isinstance(exc, ReconnectNeeded):
                self.need_reconnect(exc)
            elif isinstance(exc, GoogleNotConnected):
                self._report(ServiceState.NOT_CONFIGURED, exc.message)
            else:
                self._report(ServiceState.OFFLINE, exc.message)
            return
        finally:
            assert self._ready is not None
            self._ready.set()
        if self.outbox is not None:
            self.outbox.wake()  # mails that waited for the account
        assert self._wake is not None
        while True:
            self._wake.clear()  # a "sync now" during this round asks for another
            if not self.reconnect_needed:
                await self.sync_once()
            try:
                async with asyncio.timeout(max(5.0, self.context.settings.google.sync_interval_seconds)):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _prepare(self) -> None:
        io = self.context.lanes.io
        await io.run(lambda: [importlib.import_module(m) for m in GOOGLE_MODULES], action="load the Google library")
        if self.account is None:
            self.account = await io.run(lambda: new_account(self.context), action="open the Google account")
        await self._build_apis()

    async def _build_apis(self) -> None:
        from ..google.calendar import Calendar
        from ..google.calendar_sync import CalendarSync
        from ..google.drive import Drive
        from ..google.gmail import Gmail
        from ..google.gmail_sync import GmailSync

        account = self.account
        assert account is not None
        client = await self.context.lanes.io.run(account.api, action="open the Google account")
        grant = account.grant()
        email = (grant.account_email if grant else "") or self.context.settings.google.account_email
        settings = self.context.settings.google
        gmail, calendar = Gmail(client), Calendar(client, time_zone=settings.time_zone)
        cache = self.context.cache
        if cache is None:
            raise FidusError("The local cache could not be opened, so Gmail and Calendar cannot be kept here.")
        self.apis = GoogleApis(email, gmail, calendar, Drive(client),
                               GmailSync(gmail, cache, email, limit=settings.gmail_sync_limit),
                               CalendarSync(calendar, cache, email, days_back=settings.calendar_sync_days_back))

    async def ready(self) -> GoogleApis:
        """The APIs, once the account is open; raises why it could not be."""
        if self.apis is not None:
            return self.apis
        if self._ready is None:
            raise GoogleNotConnected("Google Workspace is not running in this window.")
        await self._ready.wait()
        if self.apis is None:
            raise GoogleNotConnected(self.problem or "No Google account is connected.")
        return self.apis

    # ---- syncing ------------------------------------------------------------------------------

    def sync_now(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def sync_once(self) -> bool:
        """Bring both copies up to date; ``True`` when Google answered."""
        apis = self.apis
        if apis is None or self.syncing:
            return False
        self.syncing = True
        what: set[str] = set()
        try:
            mail = await apis.mail.sync()
            if mail.full or mail.added or mail.deleted or mail.relabelled:
                what.add("mail")
            events = await apis.events.sync()
            if events.full or events.changed or events.removed:
                what.add("calendar")
        except ReconnectNeeded as exc:
            self.need_reconnect(exc)
            return False
        except GoogleError as exc:
            self.report_unavailable(exc)
            return False
        except FidusError as exc:  # a malformed answer: reported, tried again next time
            log.warning("Google sync failed: %s", exc)
            self.report_unavailable(exc)
            return False
        finally:
            self.syncing = False
        self.last_sync = utc_now()
        was_failing = self.context.health.get(ServiceName.GOOGLE).state is not ServiceState.ONLINE
        self._report(ServiceState.ONLINE, f"Mail and calendar synced at {self.last_sync.astimezone():%H:%M}.")
        if was_failing:
            await self.resume_mail()
        if what:
            self.context.events.publish(EventType.GOOGLE_CHANGED, GoogleUpdate(frozenset(what)))
        return True

    # ---- health and the reconnect prompt ---------------------------------------------------------

    @property
    def account_email(self) -> str:
        return self.apis.account_email if self.apis else self.context.settings.google.account_email

    def _report(self, state: ServiceState, detail: str) -> None:
        self.context.health.report(ServiceName.GOOGLE, state, self.account_email or "Google Workspace", detail)

    def report_unavailable(self, exc: FidusError) -> None:
        if self.reconnect_needed:
            return
        since = f" (copy of {self.last_sync.astimezone():%H:%M})" if self.last_sync else ""
        self._report(ServiceState.STALE, f"{exc.message} Showing what this computer holds{since}.")

    def need_reconnect(self, exc: FidusError) -> None:
        """Google refused the saved sign-in: say so once; keep everything else as it is."""
        if self.reconnect_needed:
            return
        self.reconnect_needed = exc.message
        self._report(ServiceState.OFFLINE, f"Reconnect needed: {exc.message}")
        self.context.events.publish(EventType.NOTICE, Notice(
            "Google no longer accepts FIDUS's sign-in. Reconnect the account in the Workspace panel; your "
            "mails wait in the outbox meanwhile.", NoticeLevel.IMPORTANT, "Google: reconnect needed"))
        self.context.events.publish(EventType.GOOGLE_CHANGED, GoogleUpdate(frozenset({"account"})))

    async def reconnect(self, flow: ConsentFlow | None = None, *, on_url: Callable[[str], None] | None = None) -> None:
        """The browser sign-in again; then syncing and the waiting mails resume."""
        account = self.account
        if account is None:
            account = self.account = await self.context.lanes.io.run(lambda: new_account(self.context))
        await account.connect(flow, on_url=on_url)
        await self._build_apis()
        self.reconnect_needed = ""
        self.problem = ""
        self._report(ServiceState.CONNECTING, "Connected again; syncing…")
        self.context.events.publish(EventType.GOOGLE_CHANGED, GoogleUpdate(frozenset({"account"})))
        self.sync_now()
        await self.resume_mail()

    async def disconnect(self, *, forget_client: bool = False) -> str:
        """Revoke at Google, forget the sign-in and this computer's copies; returns what happened."""
        apis = self.apis
        if self.account is None:
            self.account = await self.context.lanes.io.run(lambda: new_account(self.context))
        result = await self.account.disconnect(forget_client=forget_client)
        if apis is not None:
            await apis.mail.forget()
            await apis.events.forget()
        self.apis = None
        self.reconnect_needed = ""
        google = dataclasses.replace(self.context.settings.google, account_email="")
        self.context.update_settings(self.context.settings.replace(google=google))
        await self.stop()
        self.context.health.report(ServiceName.GOOGLE, ServiceState.NOT_CONFIGURED, "Google Workspace",
                                   "No Google account connected.")
        self.context.events.publish(EventType.GOOGLE_CHANGED, GoogleUpdate(frozenset({"account", "mail",
                                                                                      "calendar"})))
        return result.message

    # ---- calls and sending -------------------------------------------------------------------------

    async def do[T](self, work: Callable[[GoogleApis], Awaitable[T]]) -> T:
        """``await service.do(lambda g: g.gmail.labels())``: a call for a panel, with the prompt on
        a refused sign-in and the stale state when Google does not answer."""
        apis = await self.ready()
        try:
            return await work(apis)
        except ReconnectNeeded as exc:
            self.need_reconnect(exc)
            raise
        except GoogleUnavailable as exc:
            self.report_unavailable(exc)
            raise

    async def send(self, mail: OutgoingMail, *, person: Person | None = None, template: str = "",
                   review_key: str = "", draft_key: str = "") -> str:
        """Keep ``mail`` in the outbox and have it delivered (now if Google answers); returns its
        ``Message-ID``. Raises only for what the mail itself gets wrong (an address, the size)."""
        from ..google.gmail import check_size
        from ..google.mime import build_mime, new_message_id

        cache = self.context.cache
        if cache is None:
            raise FidusError("The local cache could not be opened, so the mail cannot be kept safe; not sent.")
        sender = self.account_email
        if not sender:
            raise GoogleNotConnected("No Google account is connected.")
        message_id = new_message_id(sender)
        mime = build_mime(mail, sender, sender_name=self.context.settings.fund_name, message_id=message_id)
        check_size(mime)
        to = ", ".join([*mail.to, *mail.cc]) or ", ".join(mail.bcc)
        if review_key:  # before the mail is in the outbox: its delivery then says "sent", last
            from ..google.workflow import QUEUED, WAITING, mark_review

            await mark_review(cache, review_key, QUEUED)
        try:
            await cache.enqueue(MAIL_KIND, mail_payload(mime, message_id=message_id, to=to, subject=mail.subject,
                                                        thread_id=mail.thread_id, person=person, template=template,
                                                        review_key=review_key))
        except BaseException:
            if review_key:
                await mark_review(cache, review_key, WAITING)
            raise
        if draft_key:
            await cache.google.delete_note("gmail.draft", draft_key)
        self.context.events.publish(EventType.GOOGLE_CHANGED, GoogleUpdate(frozenset({"outbox", "review"})))
        if self.outbox is not None:
            self.outbox.wake()
        return message_id

    async def resume_mail(self) -> None:
        """Google answers again: mails waiting for their next attempt go now, not in minutes."""
        cache = self.context.cache
        if cache is None or self.outbox is None:
            return
        now = utc_now()
        for item in await cache.pending():
            if item.kind == MAIL_KIND and item.next_attempt_at is not None and item.next_attempt_at > now:
                await cache.retry(item.id)
        self.outbox.wake()

    def mail_sent(self, notice: Notice) -> None:
        """Called by the delivery once Gmail has a mail: say so, and fetch it into the copy."""
        self.context.events.publish(EventType.NOTICE, notice)
        self.context.events.publish(EventType.GOOGLE_CHANGED, GoogleUpdate(frozenset({"outbox", "review"}),
                                                                           notice.text))
        self.sync_now()


async def ensure_google_service(context: AppContext, account: GoogleAccount | None = None) -> GoogleService:
    """The running Google service, added and started if the window just connected an account."""
    from ..google.workflow import WorkflowMailService

    service = context.service(GoogleService)
    if service is None:
        service = context.services.add(GoogleService(context, account=account))
        context.services.add(WorkflowMailService(context))
    elif account is not None:
        service.account = account
        service.apis = None
    await context.services.start()
    if not service.running:
        await service.start()
    return service


def is_connected(settings: Any) -> bool:
    return bool(settings.google.account_email)
