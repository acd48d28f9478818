"""The theme sets every colour itself: Windows' dark mode (a dark platform palette) never shows
through a light window, and the dark theme overrides every colour of the light style sheet."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QColor, QPalette

from resources import style_path
from ui.theme import COLOURS, ROLES, apply_theme, palette_for

pytestmark = pytest.mark.gui
GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)
COLOUR_PROPERTIES = re.compile(r"^(color|background(-color)?|border(-\w+)*(-color)?|selection-[\w-]+|gridline-color|"
                               r"alternate-background-color)$")


@pytest.fixture(autouse=True)
def light_again(qapp):
    yield
    apply_theme(qapp, "light")


def dark_platform_palette() -> QPalette:
    """What Windows 11 in dark mode hands Qt, with one unmistakable colour in every role."""
    palette = QPalette()
    for group in GROUPS:
        for role in ROLES:
            palette.setColor(group, role, QColor("#ff00ff"))
    return palette


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_role_of_the_platforms_palette_survives(qapp, theme):
    qapp.setPalette(dark_platform_palette())
    apply_theme(qapp, theme)
    palette = qapp.palette()
    leftovers = [(group.name, role.name) for group in GROUPS for role in ROLES
                 if palette.color(group, role).name() == "#ff00ff"]
    assert leftovers == []
    for role in (QPalette.ColorRole.Light, QPalette.ColorRole.Dark, QPalette.ColorRole.Link,
                 QPalette.ColorRole.PlaceholderText):
        assert palette.color(QPalette.ColorGroup.Active, role).name() == COLOURS[theme][role]


def test_each_theme_names_every_role():
    assert set(COLOURS["light"]) == set(COLOURS["dark"]) == set(ROLES)


def test_light_is_light_and_dark_is_dark():
    window = QPalette.ColorRole.Window
    text = QPalette.ColorRole.WindowText
    assert palette_for("light").color(window).lightness() > 200 > palette_for("light").color(text).lightness()
    assert palette_for("dark").color(window).lightness() < 60 < palette_for("dark").color(text).lightness()


def colour_rules(name: str) -> dict[str, set[str]]:
    text = re.sub(r"/\*.*?\*/", "", style_path(name).read_text(encoding="utf-8"), flags=re.S)
    rules: dict[str, set[str]] = {}
    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", text):
        props = {p.split(":", 1)[0].strip() for p in body.split(";") if ":" in p}
        colours = {p for p in props if COLOUR_PROPERTIES.match(p)
                   and re.search(r"#|transparent", body.split(p, 1)[1].split(";", 1)[0])}
        if colours:
            rules.setdefault(" ".join(selector.split()), set()).update(colours)
    return rules


def test_the_dark_sheet_overrides_every_colour_of_the_light_one():
    light, dark = colour_rules("light"), colour_rules("dark")
    missing = {selector: props - dark.get(selector, set()) for selector, props in light.items()
               if props - dark.get(selector, set())}
    assert missing == {}, "dark.qss must set these again (or a dark window shows light patches)"
