"""The three Google APIs FIDUS calls, by name (a module of its own so the data modules, and the
window that shows their data, import it without loading the client library)."""

from __future__ import annotations

import enum


class Api(enum.StrEnum):
    GMAIL = "gmail"
    CALENDAR = "calendar"
    DRIVE = "drive"
