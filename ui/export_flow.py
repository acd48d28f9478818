"""Running an export from the window: in the io lane, and when the target is open in another
program (:class:`fidus_desktop.exports.FileInUse`), a question instead of an error: Retry, Save
under another name, or Cancel. Other failures go to the window's error display as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from fidus_desktop.exports import FileInUse

from .tasks import TaskHandle, TaskRunner

#: ``write(target) -> result``: the blocking export, run in the io lane.
Write = Callable[[Path], Any]
#: ``choose_other(current, then)``: ask for another target, then call ``then(new_target)``.
ChooseOther = Callable[[Path, Callable[[Path], None]], Any]


def run_export(tasks: TaskRunner, parent: QWidget, write: Write, target: Path, *, name: str,
               on_success: Callable[[Any], None], choose_other: ChooseOther | None = None,
               progress_label: str | None = None) -> TaskHandle:
    def again(new_target: Path) -> None:
        run_export(tasks, parent, write, new_target, name=name, on_success=on_success, choose_other=choose_other,
                   progress_label=progress_label)

    def failed(exc: BaseException) -> None:
        if isinstance(exc, FileInUse):
            ask_in_use(parent, exc, retry=lambda: again(target),
                       other=(lambda: choose_other(exc.path, again)) if choose_other else None)
        else:
            tasks.report(exc, name)

    if progress_label is not None:
        return tasks.run(lambda progress: write(target, progress=progress), lane="io", on_success=on_success,
                         on_failure=failed, name=name, progress_label=progress_label)
    return tasks.run(lambda: write(target), lane="io", on_success=on_success, on_failure=failed, name=name)


def ask_in_use(parent: QWidget, exc: FileInUse, *, retry: Callable[[], None],
               other: Callable[[], None] | None) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Warning, "File in use", exc.message, QMessageBox.StandardButton.NoButton,
                      parent)
    box.setObjectName("fileInUse")
    retry_button = box.addButton("Retry", QMessageBox.ButtonRole.AcceptRole)
    other_button = box.addButton("Save as…", QMessageBox.ButtonRole.ActionRole) if other else None
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(retry_button)

    def clicked(button: Any) -> None:
        if button is retry_button:
            retry()
        elif other_button is not None and button is other_button and other is not None:
            other()

    box.buttonClicked.connect(clicked)
    box.open()
    return box
