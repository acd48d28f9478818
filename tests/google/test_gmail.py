"""Gmail through the real client library against the fake: read, batch, send, reply, forward."""

from __future__ import annotations

import email
import email.policy

import pytest

from fidus_desktop.errors import ValidationError
from fidus_desktop.google.errors import GoogleNotFound, GoogleUnavailable, ReconnectNeeded
from fidus_desktop.google.gmail import Gmail, safe_filename
from fidus_desktop.google.mime import Attachment, OutgoingMail

from .fake.gmail import simple_mail


@pytest.fixture
def gmail(connected):
    return Gmail(connected.api())


def _mixed_mail() -> bytes:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Ana <ana@example.com>", "manager@fidus.test", "Statement =?utf-8?q?f=C3=BCr?= März"
    msg["Message-ID"] = "<orig-1@example.com>"
    msg["References"] = "<older@example.com>"
    msg.set_content("Plain body ü")
    msg.add_alternative('<p>HTML body <img src="cid:logo@x"></p>', subtype="html")
    msg.get_payload()[1].add_related(b"\x89PNG fake", maintype="image", subtype="png", cid="<logo@x>")
    msg.add_attachment(b"%PDF-1.4 statement", maintype="application", subtype="pdf", filename="statement.pdf")
    return msg.as_bytes()


async def test_labels_search_and_a_nested_message(gmail, fake):
    message_id = fake.gmail.add(_mixed_mail())
    fake.gmail.add(simple_mail("Other"))
    labels = await gmail.labels()
    assert {"INBOX", "SENT", "Label_1"} <= {label.id for label in labels}
    page = await gmail.search("statement", label_ids=["INBOX"])
    assert page.ids == (message_id,)
    assert fake.received("gmail.messages.list")[-1].query["q"] == ["statement"]
    message = await gmail.message(message_id)
    assert message.text.strip() == "Plain body ü" and "HTML body" in message.html
    assert message.subject.startswith("Statement") and message.message_id == "<orig-1@example.com>"
    names = {a.filename: a for a in message.attachments}
    assert "statement.pdf" in names and any(a.content_id == "logo@x" for a in message.attachments)
    data = await gmail.attachment_bytes(message, names["statement.pdf"])
    assert data == b"%PDF-1.4 statement"


async def test_a_thread_in_order_and_its_inline_image(gmail, fake):
    first = fake.gmail.add(simple_mail("Question", message_id="<q@example.com>"), thread_id="t-7", internal_date=1000)
    second = fake.gmail.add(_mixed_mail(), thread_id="t-7", internal_date=2000)
    thread = await gmail.thread("t-7")
    assert [m.id for m in thread] == [first, second]
    assert thread[1].resolved_cids == {"logo@x"}
    assert await gmail.inline_image(thread[1], "cid:logo@x") == ("image/png", b"\x89PNG fake")
    assert await gmail.inline_image(thread[1], "cid:nothing@x") is None


async def test_many_messages_come_in_batches_of_at_most_fifty(gmail, fake):
    ids = [fake.gmail.add(simple_mail(f"Mail {i}")) for i in range(120)]
    before = len(fake.requests)
    messages = await gmail.messages(ids)
    assert [m.subject for m in messages] == [f"Mail {i}" for i in range(120)]
    assert fake.batch_sizes == [50, 50, 20]
    outer = [r for r in fake.requests[before:] if not r.in_batch]
    assert len(outer) == 3 and all(r.route == "batch" for r in outer)


async def test_a_failed_part_of_a_batch_is_retried_alone(gmail, fake):
    ids = [fake.gmail.add(simple_mail(f"Mail {i}")) for i in range(10)]
    fake.fail("gmail.messages.get", 503, times=1, match=lambda r: r.path.endswith(ids[3]))
    fake.fail("gmail.messages.get", 404, times=1, match=lambda r: r.path.endswith(ids[7]))
    results = await gmail.messages(ids)
    assert fake.batch_sizes == [10, 1]  # only the 503 part went again; the 404 is final
    assert results[3].subject == "Mail 3"
    assert isinstance(results[7], GoogleNotFound)
    assert all(results[i].subject == f"Mail {i}" for i in range(10) if i != 7)


async def test_429_then_success_honours_retry_after(connected, fake):
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    api = connected.api()
    api._sleep = sleep
    fake.fail("gmail.labels.list", 429, times=2, headers={"Retry-After": "3"})
    labels = await Gmail(api).labels()
    assert labels and sleeps and all(s >= 3 for s in sleeps) and len(sleeps) == 2
    assert len(fake.received("gmail.labels.list")) == 3


async def test_quota_exceeded_is_not_retried_but_rate_limit_403_is(gmail, fake):
    fake.fail("gmail.labels.list", 403, reason="userRateLimitExceeded")
    assert await gmail.labels()
    fake.fail("gmail.labels.list", 403, reason="quotaExceeded")
    calls = len(fake.received("gmail.labels.list"))
    with pytest.raises(Exception, match="quota"):
        await gmail.labels()
    assert len(fake.received("gmail.labels.list")) == calls + 1


async def test_retries_run_out_into_a_readable_error(gmail, fake):
    fake.fail("gmail.labels.list", 503, times=50)
    with pytest.raises(GoogleUnavailable, match="not answering"):
        await gmail.labels()
    assert len(fake.received("gmail.labels.list")) == 1 + gmail.client.backoff.attempts


async def test_send_with_an_attachment_reaches_gmail_as_mime(gmail, fake):
    mail = OutgoingMail(to=["Ana Client <ana@example.com>"], cc=["ops@fidus.test"], subject="Your statement — März",
                        text="Please find it attached.", html="<p>Please find it <b>attached</b>.</p>",
                        attachments=[Attachment("statement 2026-03.pdf", b"%PDF-1.7 \x00\x01 binary")])
    sent = await gmail.send(mail, sender="manager@fidus.test", sender_name="FIDUS Investment Management")
    [received] = fake.gmail.sent
    assert sent.id == received["id"]
    parsed = email.message_from_bytes(received["raw"], policy=email.policy.default)
    assert parsed["To"] == "Ana Client <ana@example.com>" and parsed["Cc"] == "ops@fidus.test"
    assert parsed["Subject"] == "Your statement — März"
    assert parsed["From"] == "FIDUS Investment Management <manager@fidus.test>"
    assert "=?utf-8?" in received["raw"].decode("ascii")  # RFC 2047 on the wire
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_filename() == "statement 2026-03.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == b"%PDF-1.7 \x00\x01 binary"


async def test_a_reply_joins_the_thread_with_its_headers(gmail, fake):
    original_id = fake.gmail.add(simple_mail("Meeting next week", message_id="<first@example.com>"), thread_id="t-42")
    original = await gmail.message(original_id)
    sent = await gmail.reply(original, "Tuesday works.", sender="manager@fidus.test")
    [received] = fake.gmail.sent
    assert sent.thread_id == "t-42" and fake.received("gmail.messages.send")[-1].json()["threadId"] == "t-42"
    parsed = email.message_from_bytes(received["raw"], policy=email.policy.default)
    assert parsed["In-Reply-To"] == "<first@example.com>"
    assert parsed["References"] == "<first@example.com>"
    assert parsed["Subject"] == "Re: Meeting next week" and parsed["To"] == "Ana Client <ana@example.com>"
    assert "> Hello" in parsed.get_body(("plain",)).get_content()


async def test_forward_carries_the_original_attachments(gmail, fake):
    original = await gmail.message(fake.gmail.add(_mixed_mail()))
    await gmail.forward(original, ["advisor@example.org"], "FYI", sender="manager@fidus.test")
    parsed = email.message_from_bytes(fake.gmail.sent[-1]["raw"], policy=email.policy.default)
    assert parsed["Subject"].startswith("Fwd: Statement")
    files = {p.get_filename(): p.get_payload(decode=True) for p in parsed.iter_attachments()}
    assert files["statement.pdf"] == b"%PDF-1.4 statement"


async def test_large_mail_goes_through_the_upload_endpoint(gmail, fake):
    big = Attachment("scan.bin", bytes(range(256)) * 20_000)  # 5 MB
    await gmail.send(OutgoingMail(to=["ana@example.com"], subject="Scan", text="attached", attachments=[big]),
                     sender="manager@fidus.test")
    parsed = email.message_from_bytes(fake.gmail.sent[-1]["raw"], policy=email.policy.default)
    assert next(parsed.iter_attachments()).get_payload(decode=True) == big.data
    assert fake.received("gmail.messages.send") == [] and fake.received("gmail.messages.send_upload")


async def test_bad_recipients_and_header_injection_are_refused(gmail):
    with pytest.raises(ValidationError):
        await gmail.send(OutgoingMail(to=["not an address"], subject="x", text="y"), sender="manager@fidus.test")
    with pytest.raises(ValidationError):
        await gmail.send(OutgoingMail(to=["a@example.com"], subject="hi\r\nBcc: victim@example.com", text="y"),
                         sender="manager@fidus.test")


async def test_invalid_grant_becomes_reconnect_needed(connected, fake):
    fake.oauth.revoke_all()
    fake.oauth.expire_access_tokens()
    with pytest.raises(ReconnectNeeded):
        await Gmail(connected.api()).labels()


async def test_an_expired_access_token_is_refreshed_silently(gmail, fake):
    fake.oauth.expire_access_tokens()
    assert await gmail.labels()
    assert fake.oauth.token_requests[-1]["grant_type"] == ["refresh_token"]


async def test_saving_an_attachment_never_overwrites_and_sanitises_names(gmail, fake, tmp_path):
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "x@example.com", "manager@fidus.test", "files"
    msg.set_content("see")
    msg.add_attachment(b"one", maintype="text", subtype="plain", filename="..\\..\\CON.txt")
    message = await gmail.message(fake.gmail.add(msg.as_bytes()))
    [ref] = message.attachments
    first = await gmail.save_attachment(message, ref, tmp_path)
    second = await gmail.save_attachment(message, ref, tmp_path)
    assert first.parent == tmp_path and first.name == "_CON.txt" and second.name == "_CON (1).txt"
    assert first.read_bytes() == second.read_bytes() == b"one"
    assert safe_filename('a<b>:"c|?*.pdf') == "a_b___c___.pdf" and safe_filename("  ") == "attachment"
