"""How an error reaches the manager: the triage every failure goes through.

* :class:`UserCancelled` - silent.
* :class:`FidusError` - its message is already a sentence for the manager; shown as is, with its
  technical ``detail`` behind "Copy details".
* anything else - a bug: logged with its traceback and shown as "Unexpected error", with the
  traceback behind "Copy details" so it can be sent to support.

Everything shown or copied passes through the log redactor first: a traceback can hold a URI.
"""

from __future__ import annotations

import logging
import platform
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from PySide6.QtWidgets import QApplication

from fidus_desktop.errors import FidusError, UserCancelled
from fidus_desktop.logs import redact

log = logging.getLogger(__name__)

Level = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class ErrorReport:
    title: str
    message: str
    #: What "Copy details" puts on the clipboard (redacted).
    detail: str
    level: Level = "error"
    unexpected: bool = False


def describe(exc: BaseException, context: str = "") -> ErrorReport | None:
    """The report to show for ``exc``, or ``None`` when nothing should be shown."""
    if isinstance(exc, UserCancelled):
        return None
    where = f" while running {context}" if context else ""
    if isinstance(exc, FidusError):
        detail = "\n".join(filter(None, [f"{type(exc).__name__} ({exc.code}){where}", exc.detail]))
        return ErrorReport("Could not finish", redact(str(exc)), redact(detail + "\n" + _environment()))
    trace = "".join(traceback.format_exception(exc))
    message = f"Unexpected error{where}: {type(exc).__name__}: {exc}".strip()
    return ErrorReport("Unexpected error", redact(message), redact(trace + "\n" + _environment()),
                       unexpected=True)


def report_error(exc: BaseException, context: str, show: Callable[[ErrorReport], None]) -> None:
    """Log ``exc`` as its kind deserves, then hand its report to ``show`` (unless silent)."""
    report = describe(exc, context)
    if report is None:
        log.debug("cancelled: %s", context or type(exc).__name__)
        return
    if report.unexpected:
        log.error("unexpected error in %s", context or "the app", exc_info=exc)
    else:
        log.warning("%s: %s", context or "error", report.message)
    show(report)


def copy_to_clipboard(text: str) -> None:
    QApplication.clipboard().setText(redact(text))


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fidus-desktop")
    except PackageNotFoundError:
        return "development"


def _environment() -> str:
    from PySide6 import __version__ as pyside_version

    return (f"FIDUS Desktop {app_version()}, Python {platform.python_version()}, PySide6 {pyside_version}, "
            f"{platform.platform()}")
