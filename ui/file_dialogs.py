"""File and folder dialogs that open where the manager expects: the last folder used, else
Documents (``fidus_desktop.exports.start_folder``), never the working directory (Program Files
when the app starts from a shortcut). The main window installs the memory (the ``ui.last_folder``
setting); without it (tests, a dialog before the window) dialogs start in Documents.

Dialogs are opened with ``open()``, never ``exec()``: the loop keeps running while the manager
picks a file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QWidget

from fidus_desktop.exports import start_folder

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext

_context: AppContext | None = None


def install(context: AppContext | None) -> None:
    """Remember folders in ``context``'s settings (``None``: forget nothing, remember nothing)."""
    global _context
    _context = context


def start() -> Path:
    return start_folder(_context.settings.ui.last_folder if _context is not None else "")


def remember(folder: Path) -> None:
    if _context is None or str(folder) == _context.settings.ui.last_folder:
        return
    try:
        _context.update_ui_settings(last_folder=str(folder))
    except OSError:  # the settings file cannot be written: the dialog still did its job
        pass


def save_file(parent: QWidget, title: str, suggested: str, name_filter: str, on_chosen: Callable[[Path], None],
              *, suffix: str = "") -> QFileDialog:
    dialog = QFileDialog(parent, title, str(start() / suggested), name_filter)
    dialog.setObjectName("saveFileDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    if suffix:
        dialog.setDefaultSuffix(suffix)

    def chosen(name: str) -> None:
        path = Path(name)
        remember(path.parent)
        on_chosen(path)

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def open_file(parent: QWidget, title: str, name_filter: str, on_chosen: Callable[[Path], None]) -> QFileDialog:
    dialog = QFileDialog(parent, title, str(start()), name_filter)
    dialog.setObjectName("openFileDialog")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)

    def chosen(name: str) -> None:
        path = Path(name)
        remember(path.parent)
        on_chosen(path)

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def choose_folder(parent: QWidget, title: str, on_chosen: Callable[[Path], None],
                  folder: Path | None = None) -> QFileDialog:
    dialog = QFileDialog(parent, title, str(folder or start()))
    dialog.setObjectName("folderDialog")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)

    def chosen(name: str) -> None:
        path = Path(name)
        remember(path)
        on_chosen(path)

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog
