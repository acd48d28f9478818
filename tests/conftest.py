"""Test-wide isolation: no real keyring, no real home, Qt offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import pytest
from keyring.backend import KeyringBackend


def _tasks_always_see_their_loop() -> None:
    """In the app the qasync loop runs for ever (``qasync.run``), so every task it steps sees it
    as the running loop. Tests drive it with ``run_until_complete`` and let Qt process events in
    between, where qasync's timers still step tasks with no running loop set: ``asyncio.Lock``
    and ``get_running_loop`` then fail in ways the app never meets. Steps taken outside
    ``run_forever`` get their loop set for the step, as in the app."""
    import asyncio

    import qasync

    timer_event = qasync._SimpleTimer.timerEvent
    make = qasync.QEventLoop.__init__

    def init(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        make(self, *args, **kwargs)
        self._timer.fidus_loop = self

    def step(self, event):  # noqa: ANN001
        loop = getattr(self, "fidus_loop", None)
        if loop is None or asyncio.events._get_running_loop() is not None or loop.is_closed():
            return timer_event(self, event)
        asyncio.events._set_running_loop(loop)
        try:
            return timer_event(self, event)
        finally:
            asyncio.events._set_running_loop(None)

    qasync.QEventLoop.__init__ = init
    qasync._SimpleTimer.timerEvent = step


_tasks_always_see_their_loop()


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring so tests never touch (or need) the OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets its own FIDUS_HOME and an empty in-memory keyring."""
    monkeypatch.setenv("FIDUS_HOME", str(tmp_path / "fidus-home"))
    ring = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)
