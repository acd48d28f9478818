"""Drafts being written, autosaved in the local cache so a crash or a closed window loses nothing.

The compose window saves its fields a moment after each edit (``gmail.draft`` notes, keyed by
account and draft id). Attachments are kept as file paths, read when the mail is sent: a draft
stays small however large the files. Sending deletes the draft once the mail is in the outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from .mime import Attachment, OutgoingMail

if TYPE_CHECKING:
    from ..storage.cache import LocalCache

DRAFT = "gmail.draft"
#: Attachments read for one mail at most (Gmail's own limit is 25 MB).
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Draft:
    key: str
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    attachments: tuple[str, ...] = ()
    in_reply_to: str = ""
    references: str = ""
    thread_id: str = ""
    #: A forward: the Gmail id of the message whose files go with it (fetched when sending).
    forward_of: str = ""
    #: Who the mail is for on the CRM (``{"kind", "id", "name", "email"}``), and its template.
    person: dict[str, str] = field(default_factory=dict)
    template: str = ""
    review_key: str = ""
    saved_at: datetime | None = None

    @property
    def empty(self) -> bool:
        return not (self.to.strip() or self.subject.strip() or self.text.strip() or self.attachments)

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["attachments"] = list(self.attachments)
        doc.pop("saved_at")
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any], saved_at: datetime | None = None) -> Draft:
        known = {name: doc[name] for name in cls.__dataclass_fields__ if name in doc and name != "saved_at"}
        known["attachments"] = tuple(str(p) for p in doc.get("attachments") or ())
        known["person"] = dict(doc.get("person") or {})
        return cls(**known, saved_at=saved_at)


def new_key(account: str) -> str:
    return f"{account}:{uuid.uuid4().hex}"


async def save_draft(cache: LocalCache, draft: Draft) -> None:
    await cache.google.put_note(DRAFT, draft.key, draft.to_doc())


async def drafts(cache: LocalCache, account: str) -> list[Draft]:
    return [Draft.from_doc(doc, saved) for _key, doc, saved in await cache.google.notes(DRAFT, f"{account}:")]


async def delete_draft(cache: LocalCache, key: str) -> None:
    await cache.google.delete_note(DRAFT, key)


def split_addresses(text: str) -> list[str]:
    """``a@b.c, Name <d@e.f>; g@h.i`` -> one address each (commas inside quotes kept)."""
    from email.utils import getaddresses

    out = []
    for name, address in getaddresses([text.replace(";", ",")]):
        if address:
            out.append(f"{name} <{address}>" if name else address)
        elif name.strip():
            out.append(name.strip())  # not an address: check_addresses says so
    return out


def read_attachments(paths: Sequence[str]) -> list[Attachment]:
    """The files of a draft, read for sending (blocking: run it in the I/O lane)."""
    files, total = [], 0
    for text in paths:
        path = Path(text)
        try:
            with path.open("rb") as handle:  # our own handle: closed at once (Windows locks)
                data = handle.read(MAX_ATTACHMENT_BYTES + 1)
        except OSError as exc:
            raise ValidationError(f"The attachment {path.name} cannot be read ({exc.strerror or exc}).",
                                  {"attachments": path.name}) from None
        total += len(data)
        if total > MAX_ATTACHMENT_BYTES:
            raise ValidationError("The attachments are larger than Gmail accepts (25 MB in all).",
                                  {"attachments": "too large"})
        files.append(Attachment(path.name, data))
    return files


def outgoing(draft: Draft, attachments: Sequence[Attachment] = ()) -> OutgoingMail:
    return OutgoingMail(to=split_addresses(draft.to), cc=split_addresses(draft.cc), bcc=split_addresses(draft.bcc),
                        subject=draft.subject, text=draft.text, html=draft.html, attachments=tuple(attachments),
                        in_reply_to=draft.in_reply_to, references=draft.references, thread_id=draft.thread_id)
