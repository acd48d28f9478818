"""The local copies: Gmail by history id (404: resync), Calendar by sync token (410: resync)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fidus_desktop.google.calendar import Calendar
from fidus_desktop.google.calendar_sync import CalendarSync
from fidus_desktop.google.gmail import Gmail
from fidus_desktop.google.gmail_sync import GmailSync
from fidus_desktop.storage.cache import LocalCache

from .fake.gmail import simple_mail

ACCOUNT = "manager@fidus.test"


@pytest.fixture
async def cache(tmp_path):
    local = LocalCache(tmp_path / "cache.sqlite3")
    await local.open()
    yield local
    await local.close()


async def test_gmail_full_then_incremental_sync(connected, fake, cache):
    first = [fake.gmail.add(simple_mail(f"Old {i}")) for i in range(3)]
    sync = GmailSync(Gmail(connected.api()), cache, ACCOUNT)
    result = await sync.sync()
    assert result.full and result.added == 3
    assert [m.subject for m in await sync.cached_list()] == ["Old 2", "Old 1", "Old 0"]

    new = fake.gmail.add(simple_mail("New one"))
    fake.gmail.remove(first[0])
    fake.gmail.relabel(first[1], remove=("UNREAD",))
    gets_before = len(fake.received("gmail.messages.get"))
    result = await sync.sync()
    assert not result.full and (result.added, result.deleted, result.relabelled) == (1, 1, 1)
    assert len(fake.received("gmail.messages.get")) == gets_before + 1  # only the new message was fetched
    listed = {m.id: m for m in await sync.cached_list()}
    assert set(listed) == {new, first[1], first[2]} and not listed[first[1]].unread
    assert (await sync.message(new)).text.strip() == "Hello"


async def test_gmail_history_too_old_means_a_full_resync(connected, fake, cache):
    fake.gmail.add(simple_mail("Before"))
    sync = GmailSync(Gmail(connected.api()), cache, ACCOUNT)
    await sync.sync()
    fake.gmail.add(simple_mail("After"))
    fake.gmail.forget_history()  # our saved historyId is now older than what Gmail keeps
    result = await sync.sync()
    assert result.full and result.reason == "history too old"
    assert fake.received("gmail.history.list")[-1]  # it was asked, answered 404, then the resync ran
    assert {m.subject for m in await sync.cached_list()} == {"Before", "After"}


async def test_a_message_that_failed_to_fetch_is_kept_pending_not_lost(connected, fake, cache):
    sync = GmailSync(Gmail(connected.api()), cache, ACCOUNT)
    await sync.sync()
    new = fake.gmail.add(simple_mail("Flaky"))
    fake.fail("gmail.messages.get", 503, times=50, match=lambda r: r.path.endswith(new))
    result = await sync.sync()
    assert result.pending == 1 and await sync.cached_list() == []
    fake._failures.clear()
    result = await sync.sync()
    assert result.added == 1 and [m.subject for m in await sync.cached_list()] == ["Flaky"]


async def test_calendar_sync_token_and_410_resync(connected, fake, cache):
    now = datetime.now(UTC).replace(microsecond=0)
    kept = fake.calendar.add("Review", now + timedelta(days=1), now + timedelta(days=1, hours=1))
    dropped = fake.calendar.add("Lunch", now + timedelta(days=2), now + timedelta(days=2, hours=1))
    sync = CalendarSync(Calendar(connected.api()), cache, ACCOUNT)
    result = await sync.sync()
    assert result.full and result.changed == 2
    window = (now, now + timedelta(days=7))
    assert [e.summary for e in await sync.cached_between(*window)] == ["Review", "Lunch"]

    fake.calendar.events[dropped]["status"] = "cancelled"
    fake.calendar._touch(dropped)
    result = await sync.sync()
    assert not result.full and result.removed == 1
    assert "syncToken" in fake.received("calendar.events.list")[-1].query
    assert [e.id for e in await sync.cached_between(*window)] == [kept]

    fake.calendar.add("Added while the token died", now + timedelta(days=3), now + timedelta(days=3, hours=1))
    fake.calendar.invalidate_sync_tokens()
    result = await sync.sync()
    assert result.full and result.reason == "sync token expired"
    assert [e.summary for e in await sync.cached_between(*window)] == ["Review", "Added while the token died"]


async def test_remote_content_choice_is_kept_per_sender(cache):
    google = cache.google
    assert not await google.remote_content_allowed(ACCOUNT, "News@Example.com")
    await google.allow_remote_content(ACCOUNT, "News@Example.com")
    assert await google.remote_content_allowed(ACCOUNT, "news@example.com")
    assert not await google.remote_content_allowed("other@fidus.test", "news@example.com")
    await google.forbid_remote_content(ACCOUNT, "news@example.com")
    assert not await google.remote_content_allowed(ACCOUNT, "news@example.com")
