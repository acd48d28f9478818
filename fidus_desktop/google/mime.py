"""Outgoing mail as MIME, built with the standard library, and replies and forwards of a message.

``multipart/alternative`` (text, optional HTML) inside ``multipart/mixed`` when there are
attachments; non-ASCII headers RFC 2047-encoded by ``email``; addresses checked; a header can
never carry a line break (no header injection from a subject or a name). A reply keeps the
thread: ``In-Reply-To`` and ``References`` name the original, the subject keeps its ``Re:``, and
the Gmail ``threadId`` goes with the send.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, getaddresses, make_msgid
from html import escape

from ..errors import ValidationError
from .html_safety import sanitize_mail_html
from .mail_parse import MailMessage

_RE = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)
_FWD = re.compile(r"^\s*(fwd?|wg|tr)\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str = ""

    def content_type(self) -> tuple[str, str]:
        guessed = self.mime_type or mimetypes.guess_type(self.filename)[0] or "application/octet-stream"
        main, _, sub = guessed.partition("/")
        return (main, sub) if sub else ("application", "octet-stream")


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: Sequence[str]
    subject: str
    text: str
    html: str = ""
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    attachments: Sequence[Attachment] = ()
    in_reply_to: str = ""
    references: str = ""
    #: Gmail thread the send joins (replies); empty for a new conversation.
    thread_id: str = ""
    extra_headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def check_addresses(values: Sequence[str], what: str) -> list[str]:
    """Each value one address (``Name <a@b.c>`` or ``a@b.c``); a clear error otherwise."""
    out: list[str] = []
    for value in values:
        if not value.strip():
            continue
        if "\r" in value or "\n" in value:
            raise ValidationError(f"The {what} address contains a line break.", {what: "line break"})
        parsed = getaddresses([value])
        if len(parsed) != 1 or not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+", parsed[0][1]):
            raise ValidationError(f"'{value}' is not an e-mail address.", {what: value})
        name, address = parsed[0]
        try:
            out.append(str(Address(display_name=name, addr_spec=address)) if name else address)
        except (ValueError, IndexError):
            raise ValidationError(f"'{value}' is not an e-mail address.", {what: value}) from None
    return out


def _single_line(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValidationError(f"The {what} cannot contain a line break.", {what: "line break"})
    return value


def new_message_id(sender: str) -> str:
    """A fresh ``Message-ID`` for a mail from ``sender`` (``<...@domain>``)."""
    return make_msgid(domain=sender.rpartition("@")[2] or None)


def build_mime(mail: OutgoingMail, sender: str, *, sender_name: str = "", message_id: str = "") -> bytes:
    """The RFC 5322 bytes Gmail's ``raw`` field carries (before base64url). ``message_id``: the
    one the outbox chose, so a mail sent again after a lost answer can be recognised in Sent."""
    to, cc, bcc = (check_addresses(mail.to, "to"), check_addresses(mail.cc, "cc"),
                   check_addresses(mail.bcc, "bcc"))
    if not (to or cc or bcc):
        raise ValidationError("Give at least one recipient.", {"to": "required"})
    [from_address] = check_addresses([sender], "from") or [""]
    if not from_address:
        raise ValidationError("The sending account has no address.", {"from": "required"})
    msg = EmailMessage(policy=SMTP)
    msg["From"] = str(Address(display_name=sender_name, addr_spec=sender)) if sender_name else from_address
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if bcc:  # Gmail reads Bcc from the raw message and removes it before delivery
        msg["Bcc"] = ", ".join(bcc)
    msg["Subject"] = _single_line(mail.subject, "subject")
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = _single_line(message_id, "message id") if message_id else new_message_id(sender)
    if mail.in_reply_to:
        msg["In-Reply-To"] = _single_line(mail.in_reply_to, "reply reference")
    if mail.references:
        msg["References"] = _single_line(mail.references, "reply reference")
    for name, value in mail.extra_headers:
        msg[_single_line(name, "header name")] = _single_line(value, "header")
    msg.set_content(mail.text or "", subtype="plain", charset="utf-8")
    if mail.html:
        msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    for attachment in mail.attachments:
        main, sub = attachment.content_type()
        name = _single_line(attachment.filename, "attachment name") or "attachment"
        msg.add_attachment(attachment.data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()


def raw_for_gmail(mime: bytes) -> str:
    return base64.urlsafe_b64encode(mime).decode("ascii")


def _quote(original: MailMessage) -> str:
    when = original.date or (original.internal_date.isoformat() if original.internal_date else "")
    lines = (original.text or "").splitlines()
    return f"On {when}, {original.sender} wrote:\n" + "\n".join(f"> {line}" for line in lines)


def reply_to(original: MailMessage, text: str, *, me: str, html: str = "", reply_all: bool = False,
             attachments: Sequence[Attachment] = ()) -> OutgoingMail:
    """A reply in the original's thread, quoting it below ``text``."""
    target = original.reply_to or original.sender
    to = [a for a in _split(target) if _address(a) != me.lower()] or _split(target)
    cc: list[str] = []
    if reply_all:
        seen = {_address(a) for a in to} | {me.lower()}
        for candidate in _split(original.to) + _split(original.cc):
            if _address(candidate) not in seen:
                seen.add(_address(candidate))
                cc.append(candidate)
    subject = original.subject if _RE.match(original.subject) else f"Re: {original.subject}"
    references = " ".join(x for x in (original.references, original.message_id) if x)
    return OutgoingMail(to=to, cc=cc, subject=subject, text=f"{text}\n\n{_quote(original)}", html=html,
                        attachments=attachments, in_reply_to=original.message_id, references=references,
                        thread_id=original.thread_id)


def forward(original: MailMessage, to: Sequence[str], text: str, *, attachments: Sequence[Attachment] = (),
            html: str = "") -> OutgoingMail:
    """A forward with the original's header block and body; ``attachments`` are the original's
    files, fetched by the caller (and any added)."""
    subject = original.subject if _FWD.match(original.subject) else f"Fwd: {original.subject}"
    block = "\n".join(["---------- Forwarded message ---------", f"From: {original.sender}",
                       f"Date: {original.date}", f"Subject: {original.subject}", f"To: {original.to}", ""])
    body = f"{text}\n\n{block}\n{original.text}"
    forwarded_html = ""
    if original.html and not html:
        # The original's HTML is hostile input: what goes out again is its sanitised form.
        safe = sanitize_mail_html(original.html, allow_remote=True).html
        forwarded_html = f"<p>{escape(text)}</p><pre>{escape(block)}</pre>{safe}"
    return OutgoingMail(to=list(to), subject=subject, text=body, html=html or forwarded_html,
                        attachments=attachments)


def with_attachments(mail: OutgoingMail, extra: Sequence[Attachment]) -> OutgoingMail:
    return replace(mail, attachments=[*mail.attachments, *extra])


def _split(header: str) -> list[str]:
    out = []
    for name, address in getaddresses([header]):
        if not address:
            continue
        try:
            out.append(str(Address(display_name=name, addr_spec=address)) if name else address)
        except (ValueError, IndexError):  # a malformed name in a received header: the address alone
            out.append(address)
    return out


def _address(value: str) -> str:
    parsed = getaddresses([value])
    return parsed[0][1].lower() if parsed else ""
