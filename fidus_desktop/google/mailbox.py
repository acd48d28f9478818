"""Reading mail for the window: search, threads and inline images, from the copy first.

The list always comes from the local copy (instant, offline). A Gmail search (``from:ana
has:attachment``) asks Gmail for the ids, fetches the messages the copy lacks (batched) and
shows them from the copy; with Google away it falls back to searching the copy's sender,
subject and snippet, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import GoogleError, GoogleUnavailable
from .mail_parse import MailMessage

if TYPE_CHECKING:
    from ..services.google_service import GoogleApis, GoogleService
    from ..storage.google_cache import CachedMessage

#: Lines a search shows (Gmail answers up to 500 ids a page).
SEARCH_LIMIT = 200


@dataclass(frozen=True, slots=True)
class SearchResult:
    messages: list[CachedMessage]
    #: ``True``: Gmail did not answer, the copy on this computer was searched instead.
    local: bool = False
    reason: str = ""


async def search(service: GoogleService, query: str, *, limit: int = SEARCH_LIMIT) -> SearchResult:
    from .gmail_sync import message_row

    apis = await service.ready()
    cache = apis.mail.cache.google
    try:
        async def ask(g: GoogleApis) -> list[str]:
            page = await g.gmail.search(query, max_results=limit)
            have = {m.id for m in await cache.messages_by_ids(g.account_email, list(page.ids))}
            missing = [i for i in page.ids if i not in have]
            if missing:
                fetched = [m for m in await g.gmail.messages(missing) if isinstance(m, MailMessage)]
                await cache.put_messages(g.account_email, (message_row(m) for m in fetched))
            return list(page.ids)

        ids = await service.do(ask)
    except GoogleUnavailable as exc:
        return SearchResult(await cache.search_messages(apis.account_email, _plain(query), limit=limit), True,
                            exc.message)
    return SearchResult(await cache.messages_by_ids(apis.account_email, ids))


def _plain(query: str) -> str:
    """A Gmail query reduced to words the copy can look for (``from:ana`` -> ``ana``)."""
    words = [w.partition(":")[2] if ":" in w else w for w in query.split()]
    return " ".join(w.strip('"') for w in words if w and not w.startswith("-")).strip()


async def thread(service: GoogleService, thread_id: str) -> list[MailMessage]:
    """The conversation, oldest first: from the copy, else from Gmail (then kept)."""
    from .gmail_sync import message_row

    apis = await service.ready()
    docs = await apis.mail.cache.google.thread_docs(apis.account_email, thread_id)
    if docs:
        return [MailMessage.from_doc(d) for d in docs]
    messages = await service.do(lambda g: g.gmail.thread(thread_id))
    await apis.mail.cache.google.put_messages(apis.account_email, (message_row(m) for m in messages))
    return messages


async def inline_images(service: GoogleService, message: MailMessage) -> dict[str, tuple[str, bytes]]:
    """``cid`` -> (type, bytes) of every inline image the message carries (for the reader)."""
    out: dict[str, tuple[str, bytes]] = {}
    for cid in message.resolved_cids:
        try:
            found = await service.do(lambda g, c=cid: g.gmail.inline_image(message, c))
        except GoogleError:
            continue  # shown as a missing image; the text still reads
        if found is not None:
            out[cid] = found
    return out
