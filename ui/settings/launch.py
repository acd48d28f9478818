"""Opening the settings dialog and the setup wizard from the main window, and applying what
the wizard chose (the same way the dialog saves: keyring first, then the settings announced).

Importing this module loads the dialogs and what they test with (the bridge client: httpx,
pydantic), a few tenths of a second: the window imports it in the io lane first
(``MainWindow.open_settings``)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from fidus_desktop.setup.session import SettingsSession, save_with_secrets
from fidus_desktop.setup.wizard import FirstRunWizard, SetupPlan

from .dialog import SettingsDialog
from .wizard_dialog import WizardDialog

if TYPE_CHECKING:
    from ..main_window import MainWindow

log = logging.getLogger(__name__)


def open_settings(window: MainWindow, page: str = "storage") -> SettingsDialog:
    dialog = SettingsDialog(SettingsSession(window.context), window.tasks, window, page=page,
                            run_wizard=window.open_setup_assistant)
    dialog.open()
    return dialog


async def run_wizard(window: MainWindow, *, first_run: bool) -> SetupPlan:
    """Show the wizard, wait for it, apply its plan; returns the plan (applied)."""
    context = window.context
    saved: frozenset[str] = frozenset()
    if not first_run:  # which keys are kept already: the wizard then does not ask for them again
        session = SettingsSession(context)
        await session.load()
        saved = frozenset(session.saved)
    wizard = FirstRunWizard(context.settings, saved_secrets=saved, first_run=first_run)
    secrets = None if first_run else context.secrets
    dialog = WizardDialog(wizard, window.tasks, context.lanes, secrets, window)
    chosen: asyncio.Future[SetupPlan] = asyncio.get_running_loop().create_future()
    dialog.finished_plan.connect(lambda plan: chosen.done() or chosen.set_result(plan))
    window.wizard = dialog
    dialog.open()
    plan = await chosen
    try:
        await save_with_secrets(context, plan.settings, plan.secrets)
    except Exception as exc:  # the keyring or the disk refused: the app starts on what it has
        window.show_error(exc, "saving the first-run choices")
    if plan.open_google:
        window.after_open(lambda: open_settings(window, "google"))
    return plan
