"""Gmail: labels, search, messages and threads, attachments, and sending (new, reply, forward).

Every call goes through :class:`~fidus_desktop.google.client.GoogleClient`; fetching many
messages uses batch requests (50 a batch). Bodies come with ``format=full``; the cache keeps
them, so a message is fetched once.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from .apis import Api
from .errors import GoogleError
from .mail_parse import AttachmentRef, MailMessage, content_id_key, parse_message
from .media import CancelToken, Progress, memory_stream, upload
from .mime import Attachment, OutgoingMail, build_mime, forward, raw_for_gmail, reply_to

if TYPE_CHECKING:
    from .client import GoogleClient

#: A raw message larger than this goes through the upload endpoint (the JSON body has a limit).
UPLOAD_THRESHOLD = 4 * 1024 * 1024
#: Gmail refuses messages over 25 MB; with base64 and headers, 35 MB of raw is the hard stop.
MAX_RAW_BYTES = 35 * 1024 * 1024

_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Label:
    id: str
    name: str
    type: str
    unread: int | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    ids: tuple[str, ...]
    next_page_token: str | None
    estimate: int


@dataclass(frozen=True, slots=True)
class SentMail:
    id: str
    thread_id: str
    label_ids: tuple[str, ...] = ()


def safe_filename(name: str) -> str:
    """A file name from a hostile mail that is safe to create on Windows (and elsewhere)."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r'[\x00-\x1f<>:"|?*]', "_", base).strip().rstrip(". ")
    if _WINDOWS_RESERVED.match(base):
        base = f"_{base}"
    if len(base) > 150:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:140] + dot + ext[:9]) if dot and len(ext) <= 9 else base[:150]
    return base or "attachment"


def _unique(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    number = 1
    while candidate.exists():
        candidate = folder / f"{stem} ({number}){suffix}"
        number += 1
    return candidate


def check_size(mime: bytes) -> None:
    if len(mime) > MAX_RAW_BYTES:
        raise ValidationError("The message is too large for Gmail (25 MB at most, attachments included).",
                              {"attachments": "too large"})


class Gmail:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client

    async def profile(self) -> dict[str, Any]:
        return await self.client.call(Api.GMAIL, lambda g: g.users().getProfile(userId="me"))

    async def labels(self) -> list[Label]:
        answer = await self.client.call(Api.GMAIL, lambda g: g.users().labels().list(userId="me"))
        return [Label(str(x.get("id", "")), str(x.get("name", "")), str(x.get("type", "")),
                      x.get("messagesUnread")) for x in answer.get("labels") or ()]

    async def search(self, query: str = "", *, label_ids: Sequence[str] = (), max_results: int = 50,
                     page_token: str | None = None) -> SearchPage:
        """Message ids matching a Gmail query (``from:ana has:attachment``), newest first."""
        def build(g: Any) -> Any:
            kwargs: dict[str, Any] = {"userId": "me", "maxResults": max(1, min(max_results, 500))}
            if query:
                kwargs["q"] = query
            if label_ids:
                kwargs["labelIds"] = list(label_ids)
            if page_token:
                kwargs["pageToken"] = page_token
            return g.users().messages().list(**kwargs)

        answer = await self.client.call(Api.GMAIL, build)
        ids = tuple(str(m["id"]) for m in answer.get("messages") or () if isinstance(m, dict) and m.get("id"))
        return SearchPage(ids, answer.get("nextPageToken"), int(answer.get("resultSizeEstimate") or 0))

    async def message(self, message_id: str) -> MailMessage:
        answer = await self.client.call(
            Api.GMAIL, lambda g: g.users().messages().get(userId="me", id=message_id, format="full"))
        return parse_message(answer)

    async def messages(self, message_ids: Sequence[str]) -> list[MailMessage | GoogleError]:
        """Many messages in batch requests; a slot holds the error of a message that failed."""
        answers = await self.client.batch(Api.GMAIL, [
            (lambda g, i=i: g.users().messages().get(userId="me", id=i, format="full")) for i in message_ids])
        return [a if isinstance(a, GoogleError) else parse_message(a) for a in answers]

    async def thread(self, thread_id: str) -> list[MailMessage]:
        answer = await self.client.call(
            Api.GMAIL, lambda g: g.users().threads().get(userId="me", id=thread_id, format="full"))
        return [parse_message(m) for m in answer.get("messages") or ()]

    async def history(self, start_history_id: str, *, page_token: str | None = None) -> dict[str, Any]:
        def build(g: Any) -> Any:
            kwargs: dict[str, Any] = {"userId": "me", "startHistoryId": start_history_id, "maxResults": 500,
                                      "historyTypes": ["messageAdded", "messageDeleted", "labelAdded",
                                                       "labelRemoved"]}
            if page_token:
                kwargs["pageToken"] = page_token
            return g.users().history().list(**kwargs)

        return await self.client.call(Api.GMAIL, build)

    # -- attachments ------------------------------------------------------------------------------

    async def attachment_bytes(self, message: MailMessage, ref: AttachmentRef) -> bytes:
        if not ref.attachment_id:
            data = message.inline_data.get(ref.part_id, "")
        else:
            answer = await self.client.call(Api.GMAIL, lambda g: g.users().messages().attachments().get(
                userId="me", messageId=message.id, id=ref.attachment_id))
            data = str(answer.get("data") or "")
        try:
            return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        except (binascii.Error, ValueError):
            raise GoogleError(f"The attachment {ref.filename} could not be decoded.") from None

    async def save_attachment(self, message: MailMessage, ref: AttachmentRef, folder: Path) -> Path:
        """Write the attachment into ``folder`` under a safe, unused name; returns the path."""
        data = await self.attachment_bytes(message, ref)
        folder.mkdir(parents=True, exist_ok=True)
        name = safe_filename(ref.filename)
        while True:
            path = _unique(folder, name)
            try:
                with path.open("xb") as handle:  # never overwrites, even if another file appears meanwhile
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                return path
            except FileExistsError:
                continue

    async def inline_image(self, message: MailMessage, content_id: str) -> tuple[str, bytes] | None:
        """``(mime type, bytes)`` of the inline part a ``cid:`` link names, for the reader's
        ``loadResource``; ``None`` when the message has no such image part."""
        key = content_id_key(content_id)
        for ref in message.attachments:
            if ref.content_id and ref.content_id == key and ref.mime_type.startswith("image/"):
                return ref.mime_type, await self.attachment_bytes(message, ref)
        return None

    async def attachments_of(self, message: MailMessage) -> list[Attachment]:
        """The message's files, to forward them."""
        files = []
        for ref in message.attachments:
            if ref.inline and not ref.filename:
                continue
            files.append(Attachment(ref.filename, await self.attachment_bytes(message, ref), ref.mime_type))
        return files

    # -- sending ----------------------------------------------------------------------------------

    async def send(self, mail: OutgoingMail, *, sender: str, sender_name: str = "",
                   progress: Progress | None = None, cancel: CancelToken | None = None) -> SentMail:
        """Send now. A 429/rate-limit answer is retried (nothing was sent); a broken connection is
        not (the mail may have gone): the error says so, for the outbox to decide."""
        mime = build_mime(mail, sender, sender_name=sender_name)
        return await self.send_raw(mime, thread_id=mail.thread_id, progress=progress, cancel=cancel)

    async def send_raw(self, mime: bytes, *, thread_id: str = "", progress: Progress | None = None,
                       cancel: CancelToken | None = None) -> SentMail:
        """Send MIME bytes built earlier (the outbox keeps them, so a retry sends the very same mail)."""
        check_size(mime)
        body: dict[str, Any] = {"threadId": thread_id} if thread_id else {}
        if len(mime) <= UPLOAD_THRESHOLD:
            body["raw"] = raw_for_gmail(mime)
            answer = await self.client.call(Api.GMAIL, lambda g: g.users().messages().send(userId="me", body=body))
        else:
            answer = await upload(self.client, Api.GMAIL,
                                  lambda g, media: g.users().messages().send(userId="me", body=body or None,
                                                                             media_body=media),
                                  memory_stream(mime), "message/rfc822", progress=progress, cancel=cancel,
                                  what="Sending")
        return SentMail(str(answer.get("id", "")), str(answer.get("threadId", "")), tuple(answer.get("labelIds") or ()))

    async def find_sent(self, message_id: str) -> SentMail | None:
        """The sent mail carrying ``message_id`` (its ``Message-ID`` header), if Gmail has it: how
        the outbox tells "sent, but the answer was lost" from "not sent"."""
        if not message_id:
            return None
        page = await self.search(f"rfc822msgid:{message_id.strip('<>')}", label_ids=["SENT"], max_results=5)
        if not page.ids:
            return None
        answer = await self.client.call(Api.GMAIL, lambda g: g.users().messages().get(
            userId="me", id=page.ids[0], format="minimal"))
        return SentMail(str(answer.get("id", "")), str(answer.get("threadId", "")), tuple(answer.get("labelIds") or ()))

    async def reply(self, original: MailMessage, text: str, *, sender: str, html: str = "",
                    reply_all: bool = False, attachments: Sequence[Attachment] = ()) -> SentMail:
        return await self.send(reply_to(original, text, me=sender, html=html, reply_all=reply_all,
                                        attachments=attachments), sender=sender)

    async def forward(self, original: MailMessage, to: Sequence[str], text: str, *, sender: str,
                      extra: Sequence[Attachment] = ()) -> SentMail:
        files = [*await self.attachments_of(original), *extra]
        return await self.send(forward(original, to, text, attachments=files), sender=sender)
