"""What a write changed, so each panel redraws only what it shows.

Every write the core makes (a manager's edit, a background job, a replayed outbox item) and
every change another writer made (the web platform on the shared MongoDB) is published once on
``EventType.DATA_CHANGED`` as a :class:`Changes`: the ids touched per aggregate, plus
meaning-level flags a panel can react to without knowing the collections (``figures``: amounts
and AUM; ``pipeline``: CRM stages; ``timeline``: a person's history; ``payments``: the
calendar). A panel skips echoes of its own edit by comparing ``initiator`` with itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Literal

from ..events import EventBus, EventType
from ..storage.spec import ANY_KEY

#: The id that stands for "some record of this aggregate changed, not known which" (a watcher
#: that could not tell which): whoever holds those records re-reads them all. The storage
#: layer's own key for it, so a backend's report passes through unchanged.
ANY_RECORD = ANY_KEY
#: Aggregates by name; each is a field of :class:`Changes`.
AGGREGATES = ("prospects", "leads", "clients", "investments", "products", "activity", "mt5_accounts",
              "redemptions", "commissions", "salespeople", "money_managers", "mt5_account_config")

#: Which aggregate a stored collection holds (the original's collection names).
COLLECTION_AGGREGATES = {
    "crm_prospects": "prospects", "leads": "leads", "users": "clients", "investments": "investments",
    "fund_products": "products", "activity_logs": "activity", "mt5_accounts": "mt5_accounts",
    "redemptions": "redemptions", "referral_commissions": "commissions", "salespeople": "salespeople",
    "money_managers": "money_managers", "mt5_account_config": "mt5_account_config",
    # The referral module's client records and every client's readiness are client data too.
    "clients": "clients", "client_readiness": "clients",
}

# Meaning-level flags.
FIGURES = "figures"
PIPELINE = "pipeline"
TIMELINE = "timeline"
PAYMENTS = "payments"

#: Flags implied by an aggregate, so a writer never forgets one.
_IMPLIED = {
    "investments": {FIGURES, PAYMENTS, TIMELINE}, "products": {FIGURES, PAYMENTS},
    "mt5_accounts": {FIGURES}, "prospects": {PIPELINE, TIMELINE}, "leads": {PIPELINE},
    "clients": {TIMELINE}, "redemptions": {FIGURES, PAYMENTS, TIMELINE},
    "commissions": {FIGURES, PAYMENTS}, "activity": {TIMELINE},
}

Origin = Literal["local", "replay", "external"]


@dataclass(frozen=True, slots=True)
class Changes:
    """Ids of the records a write touched, per aggregate (added, changed or removed)."""

    prospects: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()
    clients: frozenset[str] = frozenset()
    investments: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    activity: frozenset[str] = frozenset()
    mt5_accounts: frozenset[str] = frozenset()
    redemptions: frozenset[str] = frozenset()
    commissions: frozenset[str] = frozenset()
    salespeople: frozenset[str] = frozenset()
    money_managers: frozenset[str] = frozenset()
    mt5_account_config: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    #: ``local``: this app wrote it; ``replay``: a queued write reached the database;
    #: ``external``: another writer (the web platform, another window) changed the database.
    origin: Origin = "local"
    #: The write is queued in the outbox (the database is away): shown as pending until replayed.
    pending: bool = False
    #: Whoever asked for the write (usually a panel), so it can ignore its own echo.
    initiator: object | None = field(default=None, compare=False)

    @classmethod
    def of(cls, *, initiator: object | None = None, flags: Iterable[str] = (), origin: Origin = "local",
           pending: bool = False, **ids: Iterable[str]) -> Changes:
        """``Changes.of(prospects=["p1"], initiator=self)``: any iterable of ids per aggregate;
        the flags each aggregate implies are added."""
        unknown = set(ids) - set(AGGREGATES)
        if unknown:
            raise TypeError(f"unknown aggregate(s): {', '.join(sorted(unknown))}")
        sets = {name: frozenset(str(v) for v in values) for name, values in ids.items()}
        implied = {flag for name, values in sets.items() if values for flag in _IMPLIED.get(name, ())}
        return cls(**sets, flags=frozenset(flags) | implied, origin=origin, pending=pending, initiator=initiator)

    @classmethod
    def of_collections(cls, touched: dict[str, Iterable[str]], **kwargs: object) -> Changes:
        """From ``{collection name: keys}`` (what a unit of work or a watcher saw)."""
        ids: dict[str, set[str]] = {}
        for collection, keys in touched.items():
            aggregate = COLLECTION_AGGREGATES.get(collection)
            if aggregate is not None:
                ids.setdefault(aggregate, set()).update(str(k) for k in keys)
        return cls.of(**ids, **kwargs)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.flags) or any(getattr(self, name) for name in AGGREGATES)

    def touched(self) -> tuple[str, ...]:
        """Names of the aggregates with at least one id, e.g. ``("prospects", "activity")``."""
        return tuple(name for name in AGGREGATES if getattr(self, name))

    def affects(self, *names: str) -> bool:
        """True when any of ``names`` (aggregates or flags) is touched."""
        return any(name in self.flags or (name in AGGREGATES and getattr(self, name)) for name in names)

    def names_no_record(self, *names: str) -> bool:
        """A change to one of these aggregates did not say which record (:data:`ANY_RECORD`)."""
        return any(ANY_RECORD in getattr(self, name) for name in names)

    def merge(self, other: Changes) -> Changes:
        """Both sets of changes; the initiator is kept only when both agree on it."""
        merged = {f.name: getattr(self, f.name) | getattr(other, f.name)
                  for f in fields(self) if f.name in AGGREGATES or f.name == "flags"}
        initiator = self.initiator if self.initiator is other.initiator else None
        origin = self.origin if self.origin == other.origin else "local"
        return Changes(**merged, origin=origin, pending=self.pending or other.pending, initiator=initiator)

    def is_from(self, initiator: object) -> bool:
        return self.initiator is not None and self.initiator is initiator


def publish_changes(events: EventBus, changes: Changes) -> None:
    """Publish a non-empty change summary; an empty one would only make panels redraw for nothing."""
    if changes:
        events.publish(EventType.DATA_CHANGED, changes)
