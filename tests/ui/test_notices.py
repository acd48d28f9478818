"""Notices: every one in the status bar; the important ones (an MT5 alert) from the system tray."""

from __future__ import annotations

import pytest

from fidus_desktop.events import EventType
from fidus_desktop.runtime.notices import Notice, NoticeLevel

pytestmark = pytest.mark.gui


def test_an_important_notice_pops_from_the_tray_and_an_ordinary_one_only_in_the_status_bar(qtbot, make_window):
    window = make_window()
    events = window.context.events
    events.publish(EventType.NOTICE, Notice("Deal sync done"))
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Deal sync done", timeout=3000)
    assert window.tray_notices == []
    alert = Notice("Margin level 120.0 % is below 150 % on CORE - Atlas FX (88001001).", NoticeLevel.IMPORTANT,
                   "MT5 alert: Margin level below 150 %")
    events.publish(EventType.NOTICE, alert)
    qtbot.waitUntil(lambda: window.tray_notices == [alert], timeout=3000)
    assert window.statusBar().currentMessage() == alert.text
