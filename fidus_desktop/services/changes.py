"""What a write changed, so each panel redraws only what it shows.

Services return a :class:`Changes` from every write and publish it on
``EventType.DATA_CHANGED``. A panel's ``on_changes`` checks the aggregates it displays and skips
echoes of its own edit by comparing ``initiator`` with itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from ..events import EventBus, EventType

_AGGREGATES = ("prospects", "clients", "investments", "products", "activity", "mt5_accounts")


@dataclass(frozen=True, slots=True)
class Changes:
    """Ids of the records a write touched, per aggregate (added, changed or removed)."""

    prospects: frozenset[str] = frozenset()
    clients: frozenset[str] = frozenset()
    investments: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    activity: frozenset[str] = frozenset()
    mt5_accounts: frozenset[str] = frozenset()
    #: Whoever asked for the write (usually a panel), so it can ignore its own echo.
    initiator: object | None = field(default=None, compare=False)

    @classmethod
    def of(cls, *, initiator: object | None = None, **ids: Iterable[str]) -> Changes:
        """``Changes.of(prospects=["p1"], initiator=self)``: any iterable of ids per aggregate."""
        unknown = set(ids) - set(_AGGREGATES)
        if unknown:
            raise TypeError(f"unknown aggregate(s): {', '.join(sorted(unknown))}")
        return cls(**{name: frozenset(values) for name, values in ids.items()}, initiator=initiator)

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in _AGGREGATES)

    def touched(self) -> tuple[str, ...]:
        """Names of the aggregates with at least one id, e.g. ``("prospects", "activity")``."""
        return tuple(name for name in _AGGREGATES if getattr(self, name))

    def merge(self, other: Changes) -> Changes:
        """Both sets of changes; the initiator is kept only when both agree on it."""
        merged = {f.name: getattr(self, f.name) | getattr(other, f.name)
                  for f in fields(self) if f.name in _AGGREGATES}
        initiator = self.initiator if self.initiator is other.initiator else None
        return Changes(**merged, initiator=initiator)

    def is_from(self, initiator: object) -> bool:
        return self.initiator is not None and self.initiator is initiator


def publish_changes(events: EventBus, changes: Changes) -> None:
    """Publish a non-empty change summary; an empty one would only make panels redraw for nothing."""
    if changes:
        events.publish(EventType.DATA_CHANGED, changes)
