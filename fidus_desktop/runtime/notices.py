"""Short messages for the manager: the status bar shows them, the tray pops the important ones."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from ..domain.values import utc_now


class NoticeLevel(enum.StrEnum):
    INFO = "info"
    #: Worth a tray notification (an alert, a reminder falling due, writes that could not be saved).
    IMPORTANT = "important"


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    level: NoticeLevel = NoticeLevel.INFO
    title: str = "FIDUS Desktop"
    at: datetime = field(default_factory=utc_now)
