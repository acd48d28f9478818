"""Exporting over a file open in Excel, from the Portfolio panel: a question with Retry and Save
as, never an error report with a traceback, never a leftover part file; Retry works once the
file is closed. The CSV opens in Excel with its accents (BOM) in the locale's separator."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from .gui_env import gui  # noqa: F401
from .test_panel import panel, show_tab  # noqa: F401

pytestmark = pytest.mark.gui


class SharingViolation(PermissionError):
    winerror = 32  # ERROR_SHARING_VIOLATION: Excel has the file open


def in_use_box() -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.objectName() == "fileInUse" and w.isVisible()), None)


def test_calendar_export_over_a_file_open_elsewhere_offers_retry(gui, panel, tmp_path, monkeypatch):
    calendar = panel.calendar
    show_tab(gui, panel, calendar)
    out = tmp_path / "exports"
    out.mkdir()
    target = out / "payment_calendar.csv"
    target.write_text("open in Excel")
    real_replace = os.replace
    locked = {"on": True}

    def replace(src, dst):
        if locked["on"] and str(dst) == str(target):
            raise SharingViolation(13, "The process cannot access the file because it is being used by another process")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    keys = calendar.model.keys.copy()
    selection = calendar.selection
    panel.export_calendar(lambda: [selection.row(int(k)) for k in keys], str(target))
    gui.wait(lambda: in_use_box() is not None)
    box = in_use_box()
    assert "payment_calendar.csv" in box.text() and "Close it in the other program" in box.text()
    assert {b.text() for b in box.buttons()} >= {"Retry", "Save as…"}
    assert not gui.errors  # no error report, no traceback
    assert sorted(p.name for p in out.iterdir()) == ["payment_calendar.csv"]  # no part file
    assert target.read_text() == "open in Excel"
    locked["on"] = False  # closed in Excel
    next(b for b in box.buttons() if b.text() == "Retry").click()
    gui.wait(lambda: calendar.summary.text().startswith("Exported to"))
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"due_date" in raw
    assert sorted(p.name for p in out.iterdir()) == ["payment_calendar.csv"]
