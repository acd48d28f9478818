"""Files shipped with the app (icons, the QSS theme, translations), found next to this module so
they resolve the same way from a source checkout, a wheel and a PyInstaller bundle."""

from __future__ import annotations

from pathlib import Path

RESOURCE_DIR = Path(__file__).resolve().parent


def icon_path(name: str) -> Path:
    """``icon_path("app")`` -> ``resources/icons/app.svg``."""
    return RESOURCE_DIR / "icons" / f"{name}.svg"


def style_path(name: str = "light") -> Path:
    return RESOURCE_DIR / "style" / f"{name}.qss"
