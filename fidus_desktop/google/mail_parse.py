"""A Gmail message (``format=full``) read into what the reader and the cache need.

The original took the first top-level text part and missed nested multiparts; here the whole part
tree is walked: the first ``text/plain`` and ``text/html`` outside attachments are the bodies,
parts with a file name or an attachment id are attachments, and parts with a ``Content-ID`` are
the inline images ``cid:`` links point to. Mail is hostile input: every field may be missing,
malformed or huge, and reading never raises for it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

#: A body larger than this is cut (the reader could not show more anyway).
MAX_BODY_CHARS = 2_000_000
_MAX_DEPTH = 20


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def _header_text(value: str) -> str:
    """Header text with RFC 2047 words decoded (Gmail usually decodes them; not always)."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeDecodeError):
        return value


def content_id_key(value: str) -> str:
    """The form ``cid:`` references and ``Content-ID`` headers are compared in."""
    return value.strip().removeprefix("cid:").strip("<>").strip().lower()


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    filename: str
    mime_type: str
    size: int
    #: For ``users.messages.attachments.get``; empty when the data came inline (``inline_data``).
    attachment_id: str = ""
    part_id: str = ""
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True, slots=True)
class MailMessage:
    id: str
    thread_id: str
    label_ids: tuple[str, ...] = ()
    history_id: str = ""
    internal_date: datetime | None = None
    subject: str = ""
    sender: str = ""
    to: str = ""
    cc: str = ""
    reply_to: str = ""
    date: str = ""
    message_id: str = ""
    references: str = ""
    snippet: str = ""
    text: str = ""
    html: str = ""
    attachments: tuple[AttachmentRef, ...] = ()
    #: Small parts Gmail sent inline (base64url), keyed by attachment ref ``part_id``.
    inline_data: Mapping[str, str] = field(default_factory=dict)

    @property
    def unread(self) -> bool:
        return "UNREAD" in self.label_ids

    @property
    def resolved_cids(self) -> frozenset[str]:
        """The ``cid:`` targets this message carries (for ``html_safety.resource_allowed``)."""
        return frozenset(a.content_id for a in self.attachments if a.content_id and a.mime_type.startswith("image/"))

    @property
    def sender_address(self) -> str:
        addresses = getaddresses([self.sender])
        return addresses[0][1].lower() if addresses and addresses[0][1] else ""

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["internal_date"] = self.internal_date.isoformat() if self.internal_date else None
        doc["inline_data"] = dict(self.inline_data)
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> MailMessage:
        values = dict(doc)
        values["internal_date"] = datetime.fromisoformat(doc["internal_date"]) if doc.get("internal_date") else None
        values["label_ids"] = tuple(doc.get("label_ids") or ())
        values["attachments"] = tuple(AttachmentRef(**a) for a in doc.get("attachments") or ())
        return cls(**values)


def _items(value: Any) -> list[Any]:
    """A JSON array from a message, or nothing: a hostile message may put anything there."""
    return value if isinstance(value, list) else []


def _headers(part: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in _items(part.get("headers")):
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            out.setdefault(item["name"].lower(), str(item.get("value", ""))[:10_000])
    return out


def _charset(headers: Mapping[str, str]) -> str:
    found = re.search(r'charset\s*=\s*"?([A-Za-z0-9._-]+)', headers.get("content-type", ""))
    return found.group(1) if found else "utf-8"


def _decode(data: bytes, charset: str) -> str:
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _walk(part: Mapping[str, Any], depth: int = 0) -> Iterator[Mapping[str, Any]]:
    if depth > _MAX_DEPTH or not isinstance(part, Mapping):
        return
    yield part
    for child in _items(part.get("parts")):
        yield from _walk(child, depth + 1)


def parse_message(data: Mapping[str, Any]) -> MailMessage:
    """``data`` is the JSON of ``users.messages.get`` (``full`` or ``metadata``)."""
    payload = data.get("payload") if isinstance(data.get("payload"), Mapping) else {}
    top = _headers(payload)
    text = html = ""
    attachments: list[AttachmentRef] = []
    inline: dict[str, str] = {}
    for index, part in enumerate(_walk(payload)):
        if part.get("parts"):
            continue
        headers = _headers(part)
        mime = str(part.get("mimeType") or "").lower()
        body = part.get("body") if isinstance(part.get("body"), Mapping) else {}
        filename = _header_text(str(part.get("filename") or ""))
        content_id = content_id_key(headers.get("content-id", ""))
        disposition = headers.get("content-disposition", "").lower()
        is_attachment = bool(filename or body.get("attachmentId") or disposition.startswith("attachment"))
        if not is_attachment and mime in ("text/plain", "text/html") and isinstance(body.get("data"), str):
            decoded = _decode(b64url_decode(body["data"]), _charset(headers))[:MAX_BODY_CHARS]
            if mime == "text/plain" and not text:
                text = decoded
            elif mime == "text/html" and not html:
                html = decoded
            continue
        if not is_attachment and not content_id:
            continue
        part_id = str(part.get("partId") or index)
        size = body.get("size") if isinstance(body.get("size"), int) else 0
        attachments.append(AttachmentRef(filename or (f"inline-{part_id}" if content_id else f"part-{part_id}"),
                                         mime or "application/octet-stream", max(0, size),
                                         str(body.get("attachmentId") or ""), part_id, content_id,
                                         inline=bool(content_id) and not disposition.startswith("attachment")))
        if isinstance(body.get("data"), str) and not body.get("attachmentId"):
            inline[part_id] = body["data"]
    internal = data.get("internalDate")
    moment = None
    if isinstance(internal, str | int) and str(internal).isdigit():
        try:
            moment = datetime.fromtimestamp(int(internal) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            moment = None
    if moment is None and top.get("date"):
        moment = _header_date(top["date"])
    labels = data.get("labelIds") if isinstance(data.get("labelIds"), list) else []
    return MailMessage(
        id=str(data.get("id") or ""), thread_id=str(data.get("threadId") or ""),
        label_ids=tuple(str(label) for label in labels), history_id=str(data.get("historyId") or ""),
        internal_date=moment, subject=_header_text(top.get("subject", "")), sender=_header_text(top.get("from", "")),
        to=_header_text(top.get("to", "")), cc=_header_text(top.get("cc", "")),
        reply_to=_header_text(top.get("reply-to", "")), date=top.get("date", ""),
        message_id=top.get("message-id", "").strip(), references=top.get("references", "").strip(),
        snippet=str(data.get("snippet") or "")[:500], text=text, html=html,
        attachments=tuple(attachments), inline_data=inline)


def _header_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
