"""The look: Fusion style (the same on every platform) under the light QSS theme, and icons."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from resources import icon_path, style_path

log = logging.getLogger(__name__)


@cache
def icon(name: str) -> QIcon:
    return QIcon(str(icon_path(name)))


#: The palette under the QSS: widgets the style sheet does not name (a panel's frames, tab
#: pages, scroll areas) then share the theme's colours instead of Fusion's grey.
_PALETTE = {
    QPalette.ColorRole.Window: "#f4f6f9",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f7f9fb",
    QPalette.ColorRole.Button: "#ffffff",
    QPalette.ColorRole.Highlight: "#2f5d7c",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.WindowText: "#1f2933",
    QPalette.ColorRole.Text: "#1f2933",
    QPalette.ColorRole.ButtonText: "#1f2933",
    QPalette.ColorRole.ToolTipBase: "#16283f",
    QPalette.ColorRole.ToolTipText: "#ffffff",
    QPalette.ColorRole.Mid: "#c3ccd6",
}


def apply_theme(app: QApplication, name: str = "light") -> None:
    app.setStyle("Fusion")
    app.setWindowIcon(icon("app"))
    palette = app.palette()
    for role, colour in _PALETTE.items():
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    try:
        app.setStyleSheet(style_path(name).read_text(encoding="utf-8"))
    except OSError as exc:  # an unstyled window is still a working window
        log.warning("theme %s not loaded: %s", name, exc)
