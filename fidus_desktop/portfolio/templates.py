"""A product's payment schedule as offsets from an investment's start, for the whole book at once.

The definition of a schedule is :func:`fidus_desktop.domain.schedules.payment_schedule` (one
investment, Decimal, hand-checked in the tests). Every investment of a product shares its
payments' day offsets; only the start day and the amounts differ. So the book evaluates a
product's schedule for all its investments with a handful of array operations per payment slot
instead of building a million payment objects, and the tests hold the two to the same answers.

Slots: 0 is the principal's return; 1..K are the interest payments, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..domain.funds import FundProduct, ScheduleReading
from ..domain.schedules import schedule_template


@dataclass(frozen=True, slots=True)
class ProductTemplate:
    code: str
    #: Months of interest each payment pays (0: the product pays no fixed interest).
    months: int
    #: Per interest slot k (index k-1): its number, due offset, and accrual start offset (days).
    numbers: np.ndarray
    due: np.ndarray
    accrues: np.ndarray
    principal_offset: int
    contract_days: int
    #: Due offset -> interest slot (1-based), for matching recorded payments quickly.
    by_offset: dict[int, int]

    @property
    def slots(self) -> int:
        """Interest slots (the principal is slot 0 on top of these)."""
        return len(self.due)

    def slot_of(self, kind: str, offset: int) -> int | None:
        """The slot whose payment of ``kind`` falls ``offset`` days after the start, if any."""
        if kind == "principal":
            return 0 if offset == self.principal_offset else None
        return self.by_offset.get(offset)

    def slots_of(self, kinds: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """:meth:`slot_of` for many payments at once (kind codes: 0 principal, 1 interest); -1
        where none matches. Where two slots fall on one offset the later wins, as in ``by_offset``."""
        k = np.full(len(offsets), -1, dtype=np.int64)
        k[(kinds == 0) & (offsets == self.principal_offset)] = 0
        if len(self.due):
            order = np.argsort(self.due, kind="stable")
            sorted_due = self.due[order]
            at = np.searchsorted(sorted_due, offsets, side="right") - 1
            hit = (kinds == 1) & (at >= 0) & (sorted_due[np.clip(at, 0, None)] == offsets)
            k[hit] = order[at[hit]] + 1
        return k


def product_template(product: FundProduct, reading: ScheduleReading | None = None) -> ProductTemplate:
    template = schedule_template(product, reading or product.schedule_reading)
    rows = template.interest
    return ProductTemplate(
        code=product.code, months=template.months_per_period,
        numbers=np.array([k for k, _, _ in rows], dtype=np.int32),
        due=np.array([due.days for _, due, _ in rows], dtype=np.int32),
        accrues=np.array([acc.days for _, _, acc in rows], dtype=np.int32),
        principal_offset=template.principal_offset.days, contract_days=product.contract_days,
        by_offset={due.days: k for k, (_, due, _) in enumerate(rows, start=1)})
