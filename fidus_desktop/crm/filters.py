"""What the manager filters the pipeline by, shared by the kanban and the table, and saved
filters (kept in the settings as plain data)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..domain.people import KycStatus
from ..domain.prospects import Stage


class Due(enum.StrEnum):
    ANY = ""
    #: The next action's due date has passed.
    OVERDUE = "overdue"
    #: Due from today to the end of this week (Sunday), not overdue.
    THIS_WEEK = "this_week"
    #: No next action set.
    NONE = "none"


#: Columns the pipeline sorts by (the table's headers, the kanban's order).
SORT_FIELDS = ("name", "email", "phone", "stage", "source", "owner", "kyc_status", "estimated_value",
               "next_action_due", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class PipelineFilter:
    stages: frozenset[Stage] = frozenset()
    source: str = ""
    owner: str = ""
    due: Due = Due.ANY
    kyc: frozenset[KycStatus] = frozenset()
    #: Free text over name, e-mail, phone and notes (case-insensitive substring).
    text: str = ""
    #: Portal leads are shown unless the manager hides them.
    include_leads: bool = True

    def evolve(self, **changes: Any) -> PipelineFilter:
        return replace(self, **changes)

    @property
    def is_empty(self) -> bool:
        return self == PipelineFilter()

    def describe(self) -> str:
        parts = []
        if self.stages:
            parts.append("stage " + "/".join(s.label for s in sorted(self.stages, key=list(Stage).index)))
        if self.source:
            parts.append(f"source {self.source}")
        if self.owner:
            parts.append(f"owner {self.owner}")
        if self.due is not Due.ANY:
            parts.append({Due.OVERDUE: "next action overdue", Due.THIS_WEEK: "due this week",
                          Due.NONE: "no next action"}[self.due])
        if self.kyc:
            parts.append("KYC " + "/".join(sorted(k.value for k in self.kyc)))
        if self.text.strip():
            parts.append(f"“{self.text.strip()}”")
        if not self.include_leads:
            parts.append("no portal leads")
        return ", ".join(parts) or "everything"

    # ---- the settings form ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"stages": sorted(s.value for s in self.stages), "source": self.source, "owner": self.owner,
                "due": self.due.value, "kyc": sorted(k.value for k in self.kyc), "text": self.text,
                "include_leads": self.include_leads}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineFilter:
        """Whatever a hand-edited settings file holds: unknown values are dropped, never fatal."""
        def strings(value: Any) -> list[str]:
            return [str(v) for v in value] if isinstance(value, list | tuple) else []

        stages = frozenset(Stage(v) for v in strings(data.get("stages")) if v in {s.value for s in Stage})
        kyc = frozenset(KycStatus(v) for v in strings(data.get("kyc")) if v in {k.value for k in KycStatus})
        due_text = str(data.get("due", ""))
        due = Due(due_text) if due_text in {d.value for d in Due} else Due.ANY
        return cls(stages=stages, source=str(data.get("source", ""))[:200], owner=str(data.get("owner", ""))[:200],
                   due=due, kyc=kyc, text=str(data.get("text", ""))[:200],
                   include_leads=bool(data.get("include_leads", True)))


@dataclass(frozen=True, slots=True)
class Sort:
    field: str = "created_at"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.field not in SORT_FIELDS:
            raise ValueError(f"the pipeline cannot be sorted by {self.field!r}")


def due_bounds(today: date, now: datetime) -> tuple[float, float]:
    """``(now, end of this week)`` as timestamps: overdue is before the first, "this week" between."""
    sunday = today + timedelta(days=6 - today.weekday())
    end = datetime.combine(sunday + timedelta(days=1), time(0), tzinfo=now.tzinfo or UTC)
    return now.timestamp(), end.timestamp()


@dataclass(frozen=True, slots=True)
class SavedFilter:
    name: str
    filter: PipelineFilter = field(default_factory=PipelineFilter)


def to_setting(saved: SavedFilter):  # -> config.CrmSavedFilter (imported late: config is the app's top)
    from ..config import CrmSavedFilter

    f = saved.filter
    return CrmSavedFilter(name=saved.name, stages=tuple(sorted(s.value for s in f.stages)), source=f.source,
                          owner=f.owner, due=f.due.value, kyc=tuple(sorted(k.value for k in f.kyc)), text=f.text,
                          include_leads=f.include_leads)


def from_setting(setting: Any) -> SavedFilter:
    return SavedFilter(setting.name, PipelineFilter.from_dict({
        "stages": list(setting.stages), "source": setting.source, "owner": setting.owner, "due": setting.due,
        "kyc": list(setting.kyc), "text": setting.text, "include_leads": setting.include_leads}))
