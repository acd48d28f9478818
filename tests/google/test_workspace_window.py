"""The Workspace panel in the real window, against the fake Google: hostile mail rendered through
the real QTextBrowser with nothing executed or fetched, mail sent while Google fails sent once, a
refused sign-in becoming the reconnect prompt with the manager's work kept, workflow mails waiting
for review, and the connect dialog's Cancel really stopping the listener."""

from __future__ import annotations

import asyncio
import email.message
import email.policy
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMessageBox

from fidus_desktop.app_context import AppContext
from fidus_desktop.config import Settings
from fidus_desktop.google.account import GoogleAccount
from fidus_desktop.paths import AppPaths
from fidus_desktop.secrets import SecretStore
from fidus_desktop.services.google_service import GoogleService
from fidus_desktop.services.health import ServiceName, ServiceState
from tests.ui.conftest import close_window, make_window, qloop  # noqa: F401 (fixtures)

from .conftest import FakeBrowser, app_settings, settings_for
from .fake.gmail import simple_mail

pytestmark = pytest.mark.gui

#: A 1x1 red PNG.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63"
                    "f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082")


def connect_account(fake, tmp_path: Path) -> None:
    """The manager connected earlier (the grant is in the test keyring), done off the Qt loop."""
    async def connect() -> None:
        account = GoogleAccount(settings_for(fake), SecretStore(), asyncio.to_thread, cache_dir=tmp_path / "tls",
                                open_browser=FakeBrowser(str(fake.certificates.ca_file)))
        client_file = tmp_path / "client_secret.json"
        client_file.write_text(fake.client_json(), encoding="utf-8")
        account.use_client_file(client_file)
        await account.connect()

    thread = threading.Thread(target=lambda: asyncio.run(connect()))
    thread.start()
    thread.join(30)


@pytest.fixture
def workspace(qtbot, make_window, fake, tmp_path):
    """``workspace()`` -> (window, panel), connected, on the Workspace panel."""
    def open_it(connected: bool = True):
        if connected:
            connect_account(fake, tmp_path)
        settings = app_settings(fake) if connected else Settings(google=settings_for(fake))
        window = make_window(AppContext.create(AppPaths.default(), settings=settings))
        window.show_panel("workspace")
        slot = window.slot("workspace")
        qtbot.waitUntil(lambda: slot.panel is not None, timeout=5000)
        if connected:
            qtbot.waitUntil(lambda: window.context.health.get(ServiceName.GOOGLE).state is ServiceState.ONLINE,
                            timeout=15000)
        return window, slot.panel

    return open_it


def _select(qtbot, view, subject: str) -> None:
    qtbot.waitUntil(lambda: any(getattr(view.model.row(i), "subject", "") == subject
                                for i in range(view.model.rowCount())), timeout=10000)
    row = next(i for i in range(view.model.rowCount()) if view.model.row(i).subject == subject)
    view.list.selectRow(row)


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tracker():
    _Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()
    server.server_close()


def hostile_mail(base: str) -> bytes:
    html = f"""<html><head><meta http-equiv="refresh" content="0;url={base}/refresh">
<link rel="stylesheet" href="{base}/style.css"><style>body {{ background: url({base}/style-bg) }}</style>
<script src="{base}/script.js"></script></head>
<body background="{base}/body-bg" onload="fetch('{base}/onload')">
<p>Dear manager, <b>your statement</b> is ready.</p>
<img src="{base}/tracker.gif" onerror="fetch('{base}/onerror')" width="1" height="1">
<img src="cid:logo@fidus">
<div style="background-image: url({base}/css-url)">styled</div>
<div style="background: u\\72l({base}/escaped)">escaped</div>
<iframe src="{base}/frame"></iframe><object data="{base}/object"></object><embed src="{base}/embed">
<form action="{base}/form" method="post"><input name="q"><button>Go</button></form>
<a href="javascript:fetch('{base}/js')">click me</a> <a href="https://real.example/statement">statement</a>
<svg><image href="{base}/svg"/></svg><video poster="{base}/poster"></video>
<img src="file:///etc/hostname"><script>document.write('EXECUTED')</script></body></html>"""
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Mallory <mallory@evil.example>", "manager@fidus.test", "Your statement"
    msg.set_content("Your statement is ready.")
    msg.add_alternative(html, subtype="html")
    msg.get_payload()[1].add_related(PNG, maintype="image", subtype="png", cid="<logo@fidus>")
    return msg.as_bytes()


def test_hostile_mail_is_shown_with_nothing_executed_or_fetched(qtbot, workspace, fake, tracker, monkeypatch):
    base, hits = tracker
    fake.gmail.add(hostile_mail(base))
    _window, panel = workspace()
    mail = panel.views["mail"]
    _select(qtbot, mail, "Your statement")
    browser = mail.reader.browser
    qtbot.waitUntil(lambda: "cid:logo@fidus" in browser.served, timeout=10000)
    mail.grab()  # laid out and painted: every resource the document wants has been asked for
    assert hits == []
    text, html = browser.toPlainText(), browser.toHtml()
    assert "your statement" in text and "EXECUTED" not in text and "fetch(" not in html
    assert base not in html and "file:///etc" not in html and "javascript:" not in html
    assert set(browser.served) == {"cid:logo@fidus"}
    assert mail.reader.remote_bar.isVisible() and "blocked" in mail.reader.remote_text.text()

    opened: list[str] = []
    monkeypatch.setattr("ui.workspace.reader.QDesktopServices.openUrl", lambda url: opened.append(url.toString()))
    browser.anchorClicked.emit(QUrl("javascript:fetch('x')"))
    assert "cannot be opened" in mail.reader.link_box.text()
    mail.reader.link_box.button(QMessageBox.StandardButton.Close).click()
    browser.anchorClicked.emit(QUrl("https://real.example/statement"))
    box = mail.reader.link_box
    assert "https://real.example/statement" in box.text() and opened == []  # the real target, shown first
    box.button(QMessageBox.StandardButton.Open).click()
    assert opened == ["https://real.example/statement"]

    # Only when the manager allows it are the message's remote images fetched: nothing else.
    mail.reader.show_once.click()
    qtbot.waitUntil(lambda: bool(hits), timeout=10000)
    qtbot.waitUntil(lambda: any(s.startswith(base) for s in browser.served), timeout=10000)
    assert set(hits) == {"/tracker.gif"}


def test_a_mail_sent_while_google_fails_waits_in_the_outbox_and_goes_once(qtbot, workspace, fake):
    window, panel = workspace()
    mail = panel.views["mail"]
    fake.fail("gmail.messages.send", 503, times=2)
    compose = mail.compose()
    compose.to.setText("ana.client@example.com")
    compose.subject.setText("Your March statement")
    compose.body.setPlainText("Attached.")
    compose.send_button.click()
    qtbot.waitUntil(lambda: compose.finished_sending, timeout=10000)
    qtbot.waitUntil(lambda: len(fake.received("gmail.messages.send")) >= 1, timeout=10000)
    mail.open_label("fidus:outbox")
    qtbot.waitUntil(lambda: mail.model.rowCount() == 1, timeout=10000)
    assert mail.model.data(mail.model.index(0, 3)) == "waiting to send"
    assert fake.gmail.sent == []
    qtbot.waitUntil(lambda: "waiting" in window.outbox_label.text(), timeout=10000)

    qtbot.waitUntil(lambda: len(fake.received("gmail.messages.send")) >= 2, timeout=10000)
    service = window.context.service(GoogleService)
    service.sync_now()  # Google answers the sync again, and what waited goes at once
    qtbot.waitUntil(lambda: len(fake.gmail.sent) == 1, timeout=15000)
    qtbot.waitUntil(lambda: service.outbox.state.waiting == 0, timeout=10000)
    qtbot.wait(300)
    assert len(fake.gmail.sent) == 1
    qtbot.waitUntil(lambda: mail.model.rowCount() == 0, timeout=10000)


def test_invalid_grant_prompts_to_reconnect_in_the_window_and_keeps_the_work(qtbot, workspace, fake):
    window, panel = workspace()
    mail = panel.views["mail"]
    compose = mail.compose()
    compose.to.setText("ana.client@example.com")
    compose.body.setPlainText("Half written, must survive")
    fake.oauth.revoke_all()
    fake.oauth.expire_access_tokens()
    panel.sync_now()
    qtbot.waitUntil(lambda: panel.reconnect_bar.isVisible(), timeout=10000)
    assert "Google no longer accepts" in panel.reconnect_text.text()
    status = window.context.health.get(ServiceName.GOOGLE)
    assert status.state is ServiceState.OFFLINE and "Reconnect" in status.detail
    assert "Reconnect" in window.statusBar().currentMessage() or window.badges[ServiceName.GOOGLE].text()
    assert compose.isVisible() and compose.body.toPlainText() == "Half written, must survive"

    dialog = panel.open_connect(reconnect=True)
    dialog.open_browser = FakeBrowser(str(fake.certificates.ca_file))
    qtbot.waitUntil(lambda: dialog.connect_button.isEnabled(), timeout=10000)
    dialog.start()
    qtbot.waitUntil(lambda: not panel.reconnect_bar.isVisible(), timeout=15000)
    qtbot.waitUntil(lambda: window.context.health.get(ServiceName.GOOGLE).state is ServiceState.ONLINE,
                    timeout=15000)
    assert compose.isVisible() and compose.body.toPlainText() == "Half written, must survive"
    compose.close()


def test_cancel_really_stops_the_sign_in_listener(qtbot, workspace, fake, tmp_path):
    _window, panel = workspace(connected=False)
    dialog = panel.open_connect()
    client_file = tmp_path / "client_secret.json"
    client_file.write_text(fake.client_json(), encoding="utf-8")
    assert not dialog.connect_button.isEnabled()  # no client file yet
    dialog.use_client_file(str(client_file))
    qtbot.waitUntil(lambda: dialog.connect_button.isEnabled(), timeout=10000)
    assert dialog.client_label.text() == "Client: fidus-test"
    idle = FakeBrowser(str(fake.certificates.ca_file), idle=True)
    dialog.open_browser = idle
    dialog.start()
    qtbot.waitUntil(lambda: dialog.url.text().startswith(fake.base_url), timeout=10000)
    receiver = dialog.flow.receiver
    port = receiver.port
    assert receiver.listening
    dialog.cancel()
    qtbot.waitUntil(lambda: not receiver.listening, timeout=5000)
    qtbot.waitUntil(lambda: "cancelled" in dialog.status.text(), timeout=5000)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert panel.service is None


def test_a_draft_is_saved_as_it_is_written_and_continued_later(qtbot, workspace, fake):
    window, panel = workspace()
    mail = panel.views["mail"]
    compose = mail.compose()
    compose.to.setText("ana.client@example.com")
    compose.subject.setText("Draft about fees")
    compose.body.setPlainText("Dear Ana, about the fees")
    cache = window.context.cache
    account = panel.service.account_email

    from fidus_desktop.google.drafts import drafts

    found: list = []
    window.tasks.run(drafts(cache, account), on_success=found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=5000)
    qtbot.waitUntil(lambda: compose.state.text() == "Draft saved on this computer.", timeout=5000)
    found.clear()
    window.tasks.run(drafts(cache, account), on_success=found.append)
    qtbot.waitUntil(lambda: bool(found) and found[0] and found[0][0].text == "Dear Ana, about the fees",
                    timeout=5000)
    compose.hide()  # as if the window had gone; the draft is in the cache already
    mail.open_label("fidus:drafts")
    qtbot.waitUntil(lambda: mail.model.rowCount() == 1, timeout=5000)
    mail.list.selectRow(0)
    again = mail.open_draft()
    assert again.body.toPlainText() == "Dear Ana, about the fees" and again.subject.text() == "Draft about fees"
    again.discard()
    compose.finished_sending = True
    compose.close()


def test_a_stage_change_waits_in_the_review_queue_until_the_manager_sends_it(qtbot, workspace, fake):
    from fidus_desktop.domain.prospects import Stage
    from fidus_desktop.domain.values import utc_now
    from fidus_desktop.runtime.operations import Audit, Operation
    from fidus_desktop.services.changes import PIPELINE

    window, panel = workspace()
    review = panel.view("review")
    context = window.context
    found: list = []
    window.tasks.run(context.store.prospects.find(), on_success=found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=5000)
    prospect = next(p for p in found[0] if p.stage is Stage.LEAD and p.email)
    patch = context.store.prospects.patch_of(prospect.evolve(stage=Stage.QUALIFIED), utc_now())
    window.tasks.run(context.writer.submit(Operation("prospect.move", (patch,), Audit(
        "stage_changed", "lead -> qualified", prospect_id=prospect.prospect_id), flags=frozenset({PIPELINE}))))

    def queued():
        return [m for m in review.mails if m.person.id == prospect.prospect_id]

    qtbot.waitUntil(lambda: bool(queued()), timeout=15000)
    [mail] = queued()
    assert mail.template == "document_request" and prospect.name in mail.text
    qtbot.wait(500)
    assert fake.gmail.sent == []  # prepared, never sent by itself

    row = next(i for i in range(review.model.rowCount()) if review.model.row(i).key == mail.key)
    review.table.selectRow(row)
    review.buttons["send"].click()
    qtbot.waitUntil(lambda: len(fake.gmail.sent) == 1, timeout=15000)
    qtbot.waitUntil(lambda: not queued(), timeout=10000)
    sent = email.message_from_bytes(fake.gmail.sent[0]["raw"])
    assert sent["To"] == prospect.email and sent["Subject"] == mail.subject
    service = context.service(GoogleService)
    qtbot.waitUntil(lambda: service.outbox.state.waiting == 0, timeout=10000)
    assert len(fake.gmail.sent) == 1


def test_the_mail_list_opens_from_the_copy_a_page_at_a_time(qtbot, qloop, tmp_path):
    from datetime import UTC, datetime, timedelta

    from fidus_desktop.config import GoogleSettings
    from fidus_desktop.storage.cache import LocalCache
    from fidus_desktop.storage.google_cache import MessageRow
    from ui.tasks import TaskRunner
    from ui.workspace.mail_model import PAGE
    from ui.workspace.mail_view import MailView

    account = "manager@fidus.test"
    context = AppContext.create(AppPaths.default(), settings=Settings(google=GoogleSettings(account_email=account)))
    cache = LocalCache(tmp_path / "cache.sqlite3")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [MessageRow(f"m{i:05d}", f"t{i:05d}", start + timedelta(minutes=i), str(i), f"Client {i} <c{i}@x.test>",
                       f"Statement {i}", "", True, False, ("INBOX",), {"id": f"m{i:05d}"}) for i in range(2 * PAGE + 50)]
    done: list = []

    async def fill() -> None:
        await cache.open()
        await cache.google.put_messages(account, rows)
        done.append(True)

    qloop.create_task(fill())
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    context.cache = cache
    tasks = TaskRunner(lambda exc, name: done.append(exc), loop=qloop)
    view = MailView(context, tasks, GoogleService(context))  # the service is not even started: the copy is enough
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    view.open_label("INBOX")
    qtbot.waitUntil(lambda: view.model.rowCount() == PAGE, timeout=5000)
    assert view.model.row(0).subject == f"Statement {2 * PAGE + 49}"  # newest first
    view.list.scrollToBottom()  # the view asks for more as it nears the end
    qtbot.waitUntil(lambda: view.model.rowCount() == 2 * PAGE, timeout=5000)
    view.list.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() == 2 * PAGE + 50, timeout=5000)
    assert not view.model.canFetchMore()
    assert len({view.model.row(i).id for i in range(view.model.rowCount())}) == 2 * PAGE + 50
    closed: list = []

    async def close() -> None:
        await tasks.shutdown()
        await cache.close()
        closed.append(True)

    qloop.create_task(close())
    qtbot.waitUntil(lambda: bool(closed), timeout=10000)
    assert done == [True]


def test_reply_keeps_the_thread_and_forward_carries_the_files(qtbot, workspace, fake):
    original = email.message.EmailMessage()
    original["From"], original["To"], original["Subject"] = "Ana Client <ana@example.com>", "manager@fidus.test", \
        "Question about fees"
    original["Message-ID"] = "<q-1@example.com>"
    original.set_content("How are fees computed?")
    original.add_attachment(b"%PDF-1.4 contract", maintype="application", subtype="pdf", filename="contract.pdf")
    fake.gmail.add(original.as_bytes(), thread_id="t-fees")
    window, panel = workspace()
    mail = panel.views["mail"]
    _select(qtbot, mail, "Question about fees")
    qtbot.waitUntil(lambda: mail.message is not None and mail.message.thread_id == "t-fees", timeout=10000)
    assert mail.buttons["save"].isVisibleTo(mail)

    reply = mail.reply(False)
    assert reply.to.text() == "Ana Client <ana@example.com>" and reply.subject.text() == "Re: Question about fees"
    reply.body.setPlainText("They are 20% of profits.\n\n" + reply.body.toPlainText())
    reply.send_button.click()
    qtbot.waitUntil(lambda: len(fake.gmail.sent) == 1, timeout=15000)
    sent = email.message_from_bytes(fake.gmail.sent[0]["raw"])
    assert sent["In-Reply-To"] == "<q-1@example.com>" and fake.gmail.sent[0]["threadId"] == "t-fees"
    assert "> How are fees computed?" in sent.get_payload()

    forward = mail.forward()
    forward.to.setText("lawyer@example.com")
    forward.send_button.click()
    qtbot.waitUntil(lambda: len(fake.gmail.sent) == 2, timeout=15000)
    forwarded = email.message_from_bytes(fake.gmail.sent[1]["raw"], policy=email.policy.default)
    assert forwarded["Subject"] == "Fwd: Question about fees"
    [attachment] = list(forwarded.iter_attachments())
    assert attachment.get_filename() == "contract.pdf" and attachment.get_content() == b"%PDF-1.4 contract"


def test_record_actions_book_over_free_busy_and_mail_a_template_onto_the_timeline(qtbot, workspace, fake):
    from datetime import UTC, datetime, timedelta

    from fidus_desktop.storage.query import Eq, Query
    from fidus_desktop.timeline import Person, PersonKind
    from ui.workspace.record_actions import email_person, person_mail, schedule_meeting

    window, panel = workspace()
    context = window.context
    found: list = []
    window.tasks.run(context.store.clients.find(), on_success=found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=5000)
    client = next(c for c in found[0] if c.email)
    person = Person(PersonKind.CLIENT, client.client_id, client.name, client.email)

    dialog = schedule_meeting(window, context, window.tasks, person)
    assert dialog.title.text() == f"Investment Consultation - {client.name}" and dialog.minutes.value() == 60
    start = dialog.request(True).start
    fake.calendar.add("Busy already", start.astimezone(UTC), (start + timedelta(minutes=30)).astimezone(UTC))
    dialog.save.click()
    qtbot.waitUntil(lambda: dialog.anyway.isVisible(), timeout=10000)
    assert "busy" in dialog.error.text() and fake.calendar.inserts == []
    dialog.anyway.click()
    qtbot.waitUntil(lambda: len(fake.calendar.inserts) == 1, timeout=10000)
    assert fake.calendar.inserts[0].json()["attendees"] == [{"email": client.email}]

    compose = email_person(window, context, window.tasks, person, template="investment_report")
    qtbot.waitUntil(lambda: compose.subject.text() == f"Your Investment Report - {client.name}", timeout=10000)
    assert client.name in compose.body.toPlainText()
    compose.send_button.click()
    qtbot.waitUntil(lambda: len(fake.gmail.sent) == 1, timeout=15000)
    sent = email.message_from_bytes(fake.gmail.sent[0]["raw"], policy=email.policy.default)
    assert sent.get_body(("html",)) is not None  # the template's HTML went, as it was not edited

    entries: list = []

    def timeline() -> bool:  # the last answer read, and a new question asked
        window.tasks.run(context.store.activity.find(Query(where=(Eq("client_id", client.client_id),))),
                         on_success=lambda found: entries.__setitem__(slice(None), found))
        return {"meeting_scheduled", "email_sent"} <= {e.activity_type for e in entries}

    qtbot.waitUntil(timeline, timeout=15000)
    service = context.service(GoogleService)
    service.sync_now()
    mails: list = []

    def on_record() -> bool:
        window.tasks.run(person_mail(context, person), on_success=mails.append)
        return bool(mails and mails[-1])

    qtbot.waitUntil(on_record, timeout=15000)
    assert mails[-1][0].subject == f"Your Investment Report - {client.name}"


def test_disconnect_revokes_forgets_and_shows_the_connect_prompt(qtbot, workspace, fake):
    fake.gmail.add(simple_mail("Private"))
    window, panel = workspace()
    qtbot.waitUntil(lambda: panel.views["mail"].model.rowCount() == 1, timeout=10000)
    panel.disconnect_button.click()
    qtbot.waitUntil(lambda: panel.service is None, timeout=15000)
    assert fake.oauth.revoked and panel.stack.currentWidget() is panel.empty
    assert window.context.settings.google.account_email == ""
    assert window.context.secrets.get(window.context.settings.google.token_entry) is None
    assert window.context.health.get(ServiceName.GOOGLE).state is ServiceState.NOT_CONFIGURED
    left: list = []
    window.tasks.run(window.context.cache.google.count_messages("manager@fidus.test"), on_success=left.append)
    qtbot.waitUntil(lambda: left == [0], timeout=5000)


def test_a_huge_mail_is_shown_cut_with_a_note_not_laid_out_whole(qapp):
    from fidus_desktop.google.mail_parse import MailMessage
    from ui.workspace.reader import READER_MAX_CHARS, MailReader, safe_body

    hostile = "<div>" * 200_000 + "<p>row</p>" * 200_000
    message = MailMessage(id="m1", thread_id="t1", sender="x@evil.example", html=hostile)
    safe = safe_body(message)
    assert f"first {READER_MAX_CHARS:,} characters" in safe.html and len(safe.html) < 2 * READER_MAX_CHARS
    reader = MailReader()
    reader.show_message(message, safe=safe)
    assert "This message is long" in reader.browser.toPlainText()
    reader.deleteLater()
