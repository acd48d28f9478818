"""The main window only hosts: navigation, panel slots, menus, banners, status badges and its own
geometry. Panels wire themselves to services (``ui/panels/``); background work goes through
``self.tasks``; core events arrive on the GUI thread through ``self.bridge``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QByteArray, QSize, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QMessageBox, QStackedWidget, QSystemTrayIcon, QVBoxLayout, QWidget)

from fidus_desktop.app_context import AppContext
from fidus_desktop.events import EventType
from fidus_desktop.runtime.notices import Notice, NoticeLevel
from fidus_desktop.runtime.outbox import OutboxState
from fidus_desktop.runtime.settings_change import SettingsChange
from fidus_desktop.services.health import ServiceName, ServiceStatus

from . import file_dialogs
from .banner import BannerArea
from .command_palette import CommandPalette, PaletteAction
from .errors import ErrorReport, app_version, report_error
from .event_bridge import EventBridge
from .panels.host import PanelSlot
from .panels.registry import PANELS
from .status_badges import make_badges
from .tasks import TaskRunner
from .theme import apply_theme, icon

log = logging.getLogger(__name__)

#: How long closing waits for background work to stop before leaving it behind (daemon threads).
SHUTDOWN_TIMEOUT_S = 3.0
#: The held-back services start when the first panel shows its data (checked this often, ms), or
#: after this long (s) whatever it shows.
HELD_POLL_MS = 50
HELD_START_S = 3.0


class MainWindow(QMainWindow):
    #: The fund store finished opening (online or not); panels can be built.
    fund_opened = Signal()
    #: Background work stopped and the context closed; the app may exit.
    shut_down = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"FIDUS Desktop — {context.settings.fund_name}")
        self.setWindowIcon(icon("app"))
        #: Every report shown in this session (the smoke run fails on any).
        self.reports: list[ErrorReport] = []
        self.banners = BannerArea(self)
        self.tasks = TaskRunner(self.show_error, parent_widget=self)
        self.bridge = EventBridge(context.events, self)
        self.is_open = False
        self._warnings_shown = 0
        #: Held-back services (see _check_first_panel): started when the first panel is ready.
        self._held_timer = QTimer(self)
        self._held_timer.setInterval(HELD_POLL_MS)
        self._held_timer.timeout.connect(self._check_first_panel)
        self._held_polls = 0
        self._held_start: asyncio.Future[None] | None = None
        self._closing_task: asyncio.Task[None] | None = None
        self._closed = False
        #: The settings dialog and the setup wizard, while open.
        self.settings_dialog: Any = None
        self.wizard: Any = None
        file_dialogs.install(context)  # file dialogs open in the last folder used, else Documents

        self.slots = [PanelSlot(entry, self.tasks, self.show_error, self, bridge=self.bridge) for entry in PANELS]
        self._build_layout()
        self._actions: dict[str, QAction] = {}
        self._build_menus()
        self.badges = make_badges(context.health, self)
        for badge in self.badges.values():
            self.statusBar().addPermanentWidget(badge)
        #: The system tray icon, made on the first important notice; what it was asked to pop.
        self.tray: QSystemTrayIcon | None = None
        self.tray_notices: list[Notice] = []
        self.outbox_label = QLabel("", self)
        self.outbox_label.setObjectName("outboxState")
        self.statusBar().addPermanentWidget(self.outbox_label)
        self.bridge.on(EventType.SERVICE_STATUS_CHANGED, self._on_status)
        self.bridge.on(EventType.DATA_CHANGED, self._on_changes)
        self.bridge.on(EventType.NOTICE, self._on_notice)
        self.bridge.on(EventType.OUTBOX_CHANGED, self._on_outbox)
        self.bridge.on(EventType.SETTINGS_CHANGED, self._on_settings)
        self.bridge.failed.connect(lambda event, exc: self.show_error(exc, f"showing {event.name.lower()}"))
        self._restore_window_state()
        self._show_new_warnings()

    # ---- layout and actions -------------------------------------------------------------

    def _build_layout(self) -> None:
        self.nav = QListWidget(self)
        self.nav.setObjectName("navList")
        self.nav.setIconSize(QSize(20, 20))
        # Polished before its items are laid out: they are sized with the theme's padding (laid
        # out unpolished, they kept the bare text height until a font change re-laid them).
        self.nav.ensurePolished()
        for entry in PANELS:
            item = QListWidgetItem(icon(entry.icon), entry.title, self.nav)
            item.setToolTip(f"{entry.title} ({entry.shortcut})")
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("panelStack")
        for slot in self.slots:
            self.stack.addWidget(slot)
        self.nav.currentRowChanged.connect(self._show_row)

        sidebar = QWidget(self)
        sidebar.setFixedWidth(200)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(0)
        title = QLabel("FIDUS", sidebar)
        title.setObjectName("navTitle")
        fund = QLabel(self.context.settings.fund_name, sidebar)
        fund.setObjectName("navFund")
        fund.setWordWrap(True)
        for widget in (title, fund, self.nav):
            side.addWidget(widget)

        content = QWidget(self)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banners)
        column.addWidget(self.stack, 1)

        central = QWidget(self)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(sidebar)
        row.addWidget(content, 1)
        self.setCentralWidget(central)

    def _action(self, key: str, text: str, slot: Callable[[], object], shortcut: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        self._actions[key] = action
        return action

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self._action("settings", "&Settings…", self.open_settings, "Ctrl+,"))
        file_menu.addAction(self._action("setup", "Setup assistant…", self.open_setup_assistant))
        file_menu.addAction(self._action("open_logs", "Open log folder", self.open_log_folder))
        file_menu.addSeparator()
        file_menu.addAction(self._action("quit", "&Quit", self.close, "Ctrl+Q"))
        go_menu = menu.addMenu("&Go")
        for entry in PANELS:
            go_menu.addAction(self._action(f"go:{entry.name}", f"Go to {entry.title}",
                                           lambda name=entry.name: self.show_panel(name), entry.shortcut))
        go_menu.addSeparator()
        go_menu.addAction(self._action("palette", "Command palette…", self.open_command_palette, "Ctrl+K"))
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("about", "About FIDUS Desktop", self.show_about))

    # ---- opening the fund -----------------------------------------------------------------

    def open_fund(self, opening: Coroutine[Any, Any, Any]) -> None:
        """Run ``opening`` (the store and cache) without blocking the first paint."""
        for slot in self.slots:
            slot.notice.set_content(slot.entry.title, "Opening the fund…")
        self.tasks.run(opening, on_success=lambda _: self._fund_ready(),
                       on_failure=self._fund_failed, name="open the fund")
        self.current_slot().prepare()  # its widgets' first-use cost paid while the fund opens

    def _fund_failed(self, exc: BaseException) -> None:
        self.show_error(exc, "opening the fund")
        self._fund_ready()  # the panels then say what is missing, with a retry

    def _fund_ready(self) -> None:
        self.is_open = True
        for slot in self.slots:
            slot.set_context(self.context)
        self._show_new_warnings()
        self.fund_opened.emit()
        self.current_slot().activate()
        if self.context.services_held:
            self._held_timer.start()

    # The services the first panel does not show were held back (AppContext.start): they start
    # once it shows its data, at the latest after HELD_START_S. A panel that shows one of them,
    # opened sooner, starts them itself and waits (PanelSlot.activate).

    def _check_first_panel(self) -> None:
        panel = self.current_slot().panel
        self._held_polls += 1
        if (panel is not None and panel.ready) or self._held_polls * HELD_POLL_MS >= HELD_START_S * 1000:
            self._start_held()

    def _start_held(self) -> None:
        self._held_timer.stop()
        if self._closing_task is not None or self._held_start is not None:
            return

        def started(task: asyncio.Future[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                self.show_error(task.exception(), "starting the services")  # type: ignore[arg-type]

        # The core's own start-up, like the services' first loads: not a task of the window's
        # (whose end is when the panel in sight is ready), so not run through self.tasks.
        self._held_start = asyncio.ensure_future(self.context.start_held())
        self._held_start.add_done_callback(started)

    def after_open(self, call: Callable[[], object]) -> None:
        """Run ``call`` once the fund is open (now if it is)."""
        if self.is_open:
            call()
        else:
            self.fund_opened.connect(lambda: call())

    def _show_new_warnings(self) -> None:
        risk = self.context.location_risk
        for warning in self.context.startup_warnings[self._warnings_shown:]:
            action = ("Move the fund…", lambda: self.open_settings("storage")) if risk and warning == risk.message \
                else None
            self.banners.show_message(warning, level="warning", action=action)
        self._warnings_shown = len(self.context.startup_warnings)

    # ---- panels -------------------------------------------------------------------------

    def panel_names(self) -> list[str]:
        return [slot.entry.name for slot in self.slots]

    def slot(self, name: str) -> PanelSlot:
        return next(s for s in self.slots if s.entry.name == name)

    def current_slot(self) -> PanelSlot:
        return self.slots[max(0, self.nav.currentRow())]

    def show_panel(self, name: str) -> None:
        self.nav.setCurrentRow(self.panel_names().index(name))

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        if self.is_open:
            self.slots[row].activate()

    def _panels(self) -> list[Any]:
        return [slot.panel for slot in self.slots if slot.panel is not None]

    def _on_changes(self, changes: object) -> None:
        for panel in self._panels():
            self._guarded(lambda p=panel: p.on_changes(changes), f"{panel.TITLE} refresh")

    def _on_notice(self, notice: Notice) -> None:
        self.statusBar().showMessage(notice.text, 8000)
        if notice.level is NoticeLevel.IMPORTANT:
            self._notify(notice)

    def _notify(self, notice: Notice) -> None:
        """A desktop notification from the system tray (Windows: a toast), where there is one."""
        self.tray_notices.append(notice)
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            self.tray = QSystemTrayIcon(icon("app"), self)
            self.tray.setToolTip(self.windowTitle())
            self.tray.messageClicked.connect(lambda: (self.showNormal(), self.raise_(), self.activateWindow()))
            self.tray.show()
        self.tray.showMessage(notice.title, notice.text, QSystemTrayIcon.MessageIcon.Warning, 10_000)

    def _on_outbox(self, state: OutboxState) -> None:
        self.outbox_label.setText("" if not state.total else f"\u23f3 {state.describe()}")
        self.outbox_label.setToolTip("Changes made while the database could not be reached are kept on this "
                                     "computer and saved, in order, when it is back (Health panel: details).")

    def _on_settings(self, change: SettingsChange) -> None:
        if change.touches("fund_name"):
            self.setWindowTitle(f"FIDUS Desktop — {change.new.fund_name}")
        if change.old.ui.theme != change.new.ui.theme:
            apply_theme(QApplication.instance(), change.new.ui.theme)  # type: ignore[arg-type]
        # Before the fund is open (the first-run wizard) a new database is simply the one opened.
        if change.restart_needed and self.is_open:
            self.banners.show_message("The database setting changed: restart FIDUS Desktop to use it.",
                                      level="warning")

    def _on_status(self, status: ServiceStatus) -> None:
        self.badges[status.service].update_status(status)
        for panel in self._panels():
            self._guarded(lambda p=panel: p.on_status(status), f"{panel.TITLE} status")
        if status.service is ServiceName.DATABASE and self.is_open:
            self.current_slot().requirements_changed()

    def _guarded(self, call: Callable[[], object], what: str) -> None:
        try:
            call()
        except Exception as exc:  # one panel's bug must not stop the others' updates
            self.show_error(exc, what)

    # ---- errors and small dialogs ----------------------------------------------------------

    def show_error(self, exc: BaseException, context: str = "") -> None:
        report_error(exc, context, self._show_report)

    def _show_report(self, report: ErrorReport) -> None:
        self.reports.append(report)
        self.banners.show_report(report)

    def palette_actions(self) -> list[PaletteAction]:
        def entry(key: str) -> PaletteAction:
            action = self._actions[key]
            return PaletteAction(action.text().replace("&", ""), action.trigger,
                                 action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))

        actions = [entry(key) for key in self._actions if key != "palette"]
        for panel in self._panels():
            actions += [PaletteAction(f"{panel.TITLE}: {label}", run) for label, run in panel.actions()]
        return actions

    def open_command_palette(self) -> CommandPalette:
        palette = CommandPalette(self.palette_actions(), self)
        palette.open()
        palette.search.setFocus()
        return palette

    def open_settings(self, page: str = "storage") -> None:
        """The settings dialog at ``page`` (``self.settings_dialog`` once it is open)."""
        dialog = self.settings_dialog
        if dialog is not None and dialog.isVisible():
            dialog.show_page(page)
            dialog.raise_()
            return

        async def opening() -> None:
            launch = await self._settings_code()
            self.settings_dialog = launch.open_settings(self, page)

        self.tasks.run(opening(), name="open the settings")

    def open_setup_assistant(self) -> None:
        async def running() -> None:
            await (await self._settings_code()).run_wizard(self, first_run=False)

        self.tasks.run(running(), name="setup assistant")

    async def first_run(self) -> None:
        """The first-run wizard, before the fund opens (``ui/app.py``)."""
        for slot in self.slots:
            slot.notice.set_content(slot.entry.title, "Choose how to start in the window in front.")
        await (await self._settings_code()).run_wizard(self, first_run=True)

    async def _settings_code(self) -> Any:
        # The dialogs import the bridge client (httpx, pydantic): a few tenths of a second, in
        # the io lane rather than on this thread.
        return await self.context.lanes.io.run(lambda: importlib.import_module("ui.settings.launch"),
                                               action="load the settings dialog")

    def receive_arguments(self, argv: list[str]) -> None:
        """Another start on this fund handed over its arguments: come to the front."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        QApplication.alert(self)
        if any(arg.startswith(("--mongo-uri", "--database", "--demo")) for arg in argv):
            self.banners.show_message("FIDUS Desktop is already open on this fund: close it first to start it "
                                      "with other options.", level="info")

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.paths.log_dir)))

    def show_about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Information, "About FIDUS Desktop",
                          f"<b>FIDUS Desktop</b> {app_version()}<br>"
                          f"The cockpit of {self.context.settings.fund_name}.<br><br>"
                          f"Data folder: {self.context.paths.data_dir}", QMessageBox.StandardButton.Ok, self)
        box.setIconPixmap(icon("app").pixmap(64, 64))
        box.open()
        return box

    # ---- window state and closing -----------------------------------------------------------

    def _restore_window_state(self) -> None:
        ui = self.context.settings.ui
        if not (ui.window_geometry and self.restoreGeometry(QByteArray.fromBase64(ui.window_geometry.encode()))):
            self.resize(1280, 800)
        if ui.window_state:
            self.restoreState(QByteArray.fromBase64(ui.window_state.encode()))
        names = self.panel_names()
        self.nav.setCurrentRow(names.index(ui.last_panel) if ui.last_panel in names else 0)

    def save_window_state(self) -> None:
        try:
            self.context.update_ui_settings(
                window_geometry=bytes(self.saveGeometry().toBase64()).decode(),
                window_state=bytes(self.saveState().toBase64()).decode(),
                last_panel=self.current_slot().entry.name)
        except OSError:
            log.exception("window state not saved")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        # The first close only starts an orderly shutdown; the window closes for real once
        # background work is cancelled and the store is closed, without blocking the loop.
        if self._closed:
            event.accept()
            return
        event.ignore()
        if self._closing_task is None:
            self.save_window_state()
            for panel in self._panels():
                self._guarded(panel.on_closing, f"closing {panel.TITLE}")
            self._closing_task = asyncio.get_event_loop().create_task(self._shut_down(), name="shut down")

    async def _shut_down(self) -> None:
        try:
            self._held_timer.stop()  # the context's close stops a start of the held services
            await self.tasks.shutdown(SHUTDOWN_TIMEOUT_S)
            await self.context.close()
            # Last: a call hung on a dead terminal is named in the log and left behind (daemon).
            await self.context.lanes.shutdown(SHUTDOWN_TIMEOUT_S)
        except Exception:
            log.exception("shutdown was not clean")
        finally:
            self._closed = True
            self.close()
            self.shut_down.emit()

    @property
    def closed(self) -> bool:
        return self._closed
