"""Starting the window: QApplication, asyncio on the Qt loop (qasync), logging, error hooks.

Nothing slow runs before the first paint: settings are read (one small file), the window is
shown in its "Opening the fund…" state, and the store opens in a task on the loop.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
import sys
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtCore import QEvent, QObject, QtMsgType, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from fidus_desktop.app_context import AppContext
from fidus_desktop.logs import setup_logging
from fidus_desktop.paths import AppPaths
from fidus_desktop.runtime.watchdog import StallWatchdog, threshold_from_env

from .main_window import MainWindow
from .single_instance import SingleInstance
from .theme import apply_theme

if TYPE_CHECKING:
    from fidus_desktop.cli import LaunchOptions, StartupClock

log = logging.getLogger(__name__)

#: A window that never paints (started minimised) must still open the fund.
FIRST_PAINT_WAIT_S = 1.0


class FirstPaint(QObject):
    """Resolves ``painted`` once the window has been painted for the first time."""

    def __init__(self, window: MainWindow, painted: asyncio.Future[float], clock: StartupClock | None) -> None:
        super().__init__(window)
        self._painted = painted
        self._clock = clock
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.Paint and not self._painted.done():
            # The window paints before its children in the same pass; the next loop turn is
            # after the whole frame was flushed.
            QTimer.singleShot(0, self._done)
        return False

    def _done(self) -> None:
        if self._clock is not None:
            self._clock.mark("first_paint")
        if not self._painted.done():
            self._painted.set_result(time.perf_counter())


#: What opening the fund imports (each a tenth of a second or more). Each feature service's
#: modules are imported in a lane by the context as it starts it (``AppContext.start``,
#: ``start_held``); pyqtgraph (half a second or more) with the charts' panels, in the io lane,
#: when they are first shown (``ui/panels/host.py``) or are the last-used panel.
CORE_MODULES = ("fidus_desktop.storage.sqlite", "fidus_desktop.storage.store", "fidus_desktop.storage.cache",
                "fidus_desktop.runtime.outbox", "fidus_desktop.runtime.database_link", "fidus_desktop.runtime.watcher",
                "fidus_desktop.secrets", "fidus_desktop.demo.fund")


def warm_imports(target: str, *, mongo: bool = False) -> None:
    """Import the core's modules, the database driver in use, and a panel's module
    (``"module:Class"``): called in a lane, before the loop's thread needs any of them."""
    for name in (*CORE_MODULES, *(("fidus_desktop.storage.mongo",) if mongo else ()), target.partition(":")[0]):
        importlib.import_module(name)


def create_application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("FIDUS Desktop")
    app.setOrganizationName("FIDUS")
    # Quitting is our decision, after the async shutdown, not Qt's when the window hides.
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    return app


def install_error_hooks(window: MainWindow, loop: asyncio.AbstractEventLoop) -> None:
    """Uncaught errors are logged and shown in the window; they never kill the app."""

    def gui_hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, (KeyboardInterrupt, SystemExit)):
            sys.__excepthook__(kind, exc, tb)
            return
        window.show_error(exc.with_traceback(tb), "")

    def thread_hook(hook_args: threading.ExceptHookArgs) -> None:
        exc = hook_args.exc_value or RuntimeError(str(hook_args.exc_type))
        log.error("uncaught error in thread %s", getattr(hook_args.thread, "name", "?"), exc_info=exc)
        loop.call_soon_threadsafe(window.show_error, exc, f"thread {getattr(hook_args.thread, 'name', '?')}")

    def loop_hook(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception") or RuntimeError(context.get("message", "asyncio error"))
        window.show_error(exc, "background work")

    sys.excepthook = gui_hook
    threading.excepthook = thread_hook
    loop.set_exception_handler(loop_hook)


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    # Qt warnings are developer diagnostics (platform-plugin limits, style hints): kept in the
    # log file at INFO, off the manager's terminal.
    QtMsgType.QtWarningMsg: logging.INFO,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def route_qt_messages() -> None:
    qt_log = logging.getLogger("qt")
    qInstallMessageHandler(lambda kind, _context, message: qt_log.log(_QT_LEVELS.get(kind, logging.INFO), message))


#: How long a thread may hold the interpreter before another waiting for it gets it (s). Qt calls
#: into Python for every cell and role it paints; while a lane crunches Python, each of those
#: calls may wait this long, so the default 5 ms makes one table repaint take hundreds of ms.
GIL_SWITCH_INTERVAL_S = 0.001


def run_gui(paths: AppPaths, options: LaunchOptions, clock: StartupClock, argv: list[str] | None = None) -> int:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    paths.ensure()
    # Before the log file is opened: a second copy must not rotate the first one's log.
    app = create_application()
    instance = SingleInstance(paths.data_dir)
    if not instance.acquire():
        handed = _hand_over(instance, sys.argv[1:] if argv is None else argv)
        return 1 if options.smoke else handed  # a smoke run checks this copy, which did not start
    setup_logging(paths.log_file)
    route_qt_messages()
    try:
        return qasync.run(_main(app, paths, options, clock, instance))
    finally:
        instance.release()
        sys.excepthook = sys.__excepthook__
        threading.excepthook = threading.__excepthook__


def _hand_over(instance: SingleInstance, argv: list[str]) -> int:
    """This fund is open in another window: bring that one forward and leave."""
    if instance.hand_over(argv):
        print("FIDUS Desktop is already open on this fund; its window was brought to the front.", file=sys.stderr)
        return 0
    message = ("FIDUS Desktop is already running on this fund but does not answer. Close it (Task Manager, if "
               "need be) and start it again.")
    print(message, file=sys.stderr)
    if QApplication.platformName() != "offscreen":
        QMessageBox.warning(None, "FIDUS Desktop", message)
    return 1


def first_start(paths: AppPaths, options: LaunchOptions) -> bool:
    """A new installation: no settings and no fund yet (a throwaway demo or a smoke run never asks)."""
    if options.demo or options.smoke or options.mongo_uri:
        return False
    return not paths.settings_file.exists() and not paths.fund_db.exists()


async def _main(app: QApplication, paths: AppPaths, options: LaunchOptions, clock: StartupClock,
                instance: SingleInstance | None = None) -> int:
    loop = asyncio.get_running_loop()
    watchdog = start_watchdog(loop, smoke=options.smoke)
    new_installation = first_start(paths, options)
    context = AppContext.create(paths)
    if context.settings.ui.theme != "light":
        apply_theme(app, context.settings.ui.theme)
    window = MainWindow(context)
    if instance is not None:
        instance.arguments_received.connect(window.receive_arguments)
        instance.listen()
    if options.demo:
        window.setWindowTitle(f"{window.windowTitle()} (demo copy, deleted on exit)")
    install_error_hooks(window, loop)
    finished: asyncio.Future[None] = loop.create_future()
    window.shut_down.connect(lambda: finished.done() or finished.set_result(None))
    painted: asyncio.Future[float] = loop.create_future()
    FirstPaint(window, painted, clock)

    async def opening() -> None:
        started = time.perf_counter()
        # The core's code (storage, portfolio, MT5 sources, the drivers) and the last-used panel's
        # (with pyqtgraph) are imported in the io lane first: imported on this thread, the fund's
        # opening would hold the window for a second. Awaited before anything uses them, so this
        # thread never waits on the import lock either.
        target = window.current_slot().entry.target
        await context.lanes.io.run(lambda: warm_imports(target, mongo=bool(options.mongo_uri)
                                                        or context.settings.storage.backend == "mongodb"),
                                   action="import the app's code")
        if options.demo_size:
            from fidus_desktop.demo.scale import prepare_scaled_demo

            await context.lanes.io.run(lambda: prepare_scaled_demo(context.paths, options.demo_size),
                                       action="prepare the demo fund")
        # Only the services of the panel the window opens on; the window starts the others when
        # that panel shows its data (MainWindow._fund_ready).
        await context.start(mongo_uri=options.mongo_uri, database=options.database, demo=options.demo,
                            first_panel=window.current_slot().entry.name)
        clock.record("store_open", time.perf_counter() - started)

    window.show()
    _close_on_interrupt(window)
    # Opening starts once the window is on screen: its first steps (loading the storage code,
    # finding the keyring) run on this thread and would otherwise delay the first paint.
    await asyncio.wait([painted], timeout=FIRST_PAINT_WAIT_S)
    if new_installation:  # where the fund lives is chosen before it is opened
        choosing = asyncio.ensure_future(window.first_run())
        await asyncio.wait([choosing, finished], return_when=asyncio.FIRST_COMPLETED)
        if finished.done():  # the window was closed during the wizard
            choosing.cancel()
            return 0
        if choosing.exception() is not None:  # the fund opens on what the settings say
            window.show_error(choosing.exception(), "the first-run wizard")  # type: ignore[arg-type]
    window.open_fund(opening())
    code = 0
    if options.smoke:
        from .smoke import run_smoke

        code = await run_smoke(window, painted, clock, watchdog)
    await finished
    return code


def start_watchdog(loop: asyncio.AbstractEventLoop, *, smoke: bool) -> StallWatchdog | None:
    """``FIDUS_STALL_MS=N``: log every stall of the window over N ms; a smoke run always
    watches (50 ms unless told) to print the worst it saw."""
    asked = threshold_from_env()
    threshold = asked or (50.0 if smoke else None)
    if threshold is None:
        return None
    return StallWatchdog(loop, threshold, level=logging.WARNING if asked else logging.INFO).start()


def _close_on_interrupt(window: MainWindow) -> None:
    # Qt's loop never returns to Python between events, so Ctrl+C in the terminal would wait for
    # the next event; a slow no-op timer lets the handler run and close the window cleanly.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(300)
