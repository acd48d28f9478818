"""File dialogs open in the last folder used, else Documents (never the working directory), and
remember the folder chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from fidus_desktop import exports
from fidus_desktop.app_context import AppContext
from fidus_desktop.paths import AppPaths
from ui import file_dialogs

pytestmark = pytest.mark.gui


@pytest.fixture
def documents(tmp_path, monkeypatch):
    folder = tmp_path / "Documents"
    folder.mkdir()
    monkeypatch.setattr(exports, "documents_folder", lambda: folder)
    yield folder
    file_dialogs.install(None)


def test_the_first_dialog_opens_in_documents_and_the_next_where_the_last_file_went(qapp, tmp_path, documents):
    context = AppContext.create(AppPaths.under(tmp_path / "home"))
    file_dialogs.install(context)
    chosen: list[Path] = []
    dialog = file_dialogs.save_file(None, "Export", "payment_calendar.csv", "CSV files (*.csv)", chosen.append,
                                    suffix="csv")
    assert Path(dialog.directory().absolutePath()) == documents
    elsewhere = tmp_path / "exports"
    elsewhere.mkdir()
    dialog.fileSelected.emit(str(elsewhere / "payment_calendar.csv"))
    dialog.close()
    assert chosen == [elsewhere / "payment_calendar.csv"]
    assert context.settings.ui.last_folder == str(elsewhere)
    assert AppContext.create(AppPaths.under(tmp_path / "home")).settings.ui.last_folder == str(elsewhere)  # saved
    folder_dialog = file_dialogs.choose_folder(None, "Statements", lambda _p: None)
    assert Path(folder_dialog.directory().absolutePath()) == elsewhere
    folder_dialog.close()


def test_a_folder_that_is_gone_falls_back_to_documents(qapp, tmp_path, documents):
    context = AppContext.create(AppPaths.under(tmp_path / "home"))
    context.update_ui_settings(last_folder=str(tmp_path / "unplugged-usb-stick"))
    file_dialogs.install(context)
    dialog = file_dialogs.open_file(None, "Client file", "JSON (*.json)", lambda _p: None)
    assert Path(dialog.directory().absolutePath()) == documents
    dialog.close()
