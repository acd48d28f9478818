"""The look: Fusion style (the same on every platform), a palette that sets every colour role,
and the QSS theme over it; icons.

Windows 10/11 in dark mode hands Qt a dark palette. A theme that sets only some roles then
gets a mixed window: light backgrounds with the platform's dark Light/Dark/Mid bevels, dark
placeholder text, unreadable links. So each theme sets *every* role of every colour group, and
tells Qt which scheme it is (``QStyleHints.setColorScheme``, so native dialogs and title bars
follow). Light is the default; dark is a setting (``ui.theme``), applied at once when changed.
"""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from resources import icon_path, style_path

log = logging.getLogger(__name__)

THEMES = ("light", "dark")
#: The body text size (the style sheets size headings only).
BODY_POINT_SIZE = 10.0
Role = QPalette.ColorRole
Group = QPalette.ColorGroup
#: Every real role (``NoRole`` and the ``NColorRoles`` count are not colours).
ROLES = tuple(r for r in Role if r not in (Role.NoRole, Role.NColorRoles))


@cache
def icon(name: str) -> QIcon:
    return QIcon(str(icon_path(name)))


_LIGHT = {
    Role.Window: "#f4f6f9", Role.WindowText: "#1f2933", Role.Base: "#ffffff", Role.AlternateBase: "#f7f9fb",
    Role.ToolTipBase: "#16283f", Role.ToolTipText: "#ffffff", Role.PlaceholderText: "#7b8794",
    Role.Text: "#1f2933", Role.Button: "#ffffff", Role.ButtonText: "#1f2933", Role.BrightText: "#ffffff",
    Role.Light: "#ffffff", Role.Midlight: "#eef2f6", Role.Dark: "#9fb0c2", Role.Mid: "#c3ccd6",
    Role.Shadow: "#6b7785", Role.Highlight: "#2f5d7c", Role.HighlightedText: "#ffffff", Role.Link: "#24638f",
    Role.LinkVisited: "#6a4c93", Role.Accent: "#2f7f8e",
}
_DARK = {
    Role.Window: "#161c26", Role.WindowText: "#e3e8ef", Role.Base: "#1c2330", Role.AlternateBase: "#212937",
    Role.ToolTipBase: "#0b1018", Role.ToolTipText: "#ffffff", Role.PlaceholderText: "#7f8b9c",
    Role.Text: "#e3e8ef", Role.Button: "#242d3b", Role.ButtonText: "#e3e8ef", Role.BrightText: "#ffffff",
    Role.Light: "#3a4658", Role.Midlight: "#2e3848", Role.Dark: "#0d1118", Role.Mid: "#283140",
    Role.Shadow: "#07090d", Role.Highlight: "#3b7ea1", Role.HighlightedText: "#ffffff", Role.Link: "#6cb6e0",
    Role.LinkVisited: "#a890dc", Role.Accent: "#4fb0c0",
}
#: Greyed text of disabled widgets.
_DISABLED = {"light": {Role.WindowText: "#9aa5b1", Role.Text: "#9aa5b1", Role.ButtonText: "#9aa5b1",
                       Role.PlaceholderText: "#b5bec8", Role.HighlightedText: "#e4e9ee"},
             "dark": {Role.WindowText: "#677386", Role.Text: "#677386", Role.ButtonText: "#677386",
                      Role.PlaceholderText: "#566173", Role.HighlightedText: "#aab6c5"}}
COLOURS = {"light": _LIGHT, "dark": _DARK}


def palette_for(name: str) -> QPalette:
    """The theme's palette, every role of every group set (never derived from the platform's)."""
    colours = COLOURS.get(name, _LIGHT)
    palette = QPalette()
    for group in (Group.Active, Group.Inactive, Group.Disabled):
        for role in ROLES:
            palette.setColor(group, role, QColor(colours[role]))
    for role, colour in _DISABLED.get(name, _DISABLED["light"]).items():
        palette.setColor(Group.Disabled, role, QColor(colour))
    return palette


def style_sheet(name: str) -> str:
    """light.qss, then for the dark theme dark.qss, which overrides each of its colours."""
    names = ("light",) if name != "dark" else ("light", "dark")
    parts = []
    for part in names:
        try:
            parts.append(style_path(part).read_text(encoding="utf-8"))
        except OSError as exc:  # an unstyled window is still a working window
            log.warning("theme %s not loaded: %s", part, exc)
    return "\n".join(parts)


def apply_theme(app: QApplication, name: str = "light") -> None:
    name = name if name in THEMES else "light"
    app.setStyle("Fusion")
    app.setWindowIcon(icon("app"))
    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+
        hints.setColorScheme(Qt.ColorScheme.Dark if name == "dark" else Qt.ColorScheme.Light)
    app.setPalette(palette_for(name))
    font = app.font()
    if font.pointSizeF() != BODY_POINT_SIZE:  # the platform's (9 pt on Windows): the theme's text size
        font.setPointSizeF(BODY_POINT_SIZE)
        app.setFont(font)
    app.setStyleSheet(style_sheet(name))
    app.setProperty("fidusTheme", name)


def current_theme() -> str:
    app = QApplication.instance()
    return str(app.property("fidusTheme") or "light") if app is not None else "light"
