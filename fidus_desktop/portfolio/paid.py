"""Payments recorded as paid: per investment, ``(kind code, due ordinal) -> (paid_on ordinal, log id)``.

Held as a dict of dicts of tuples (with a second dict from log id back to its payment), 800,000
of them took 340 MB here (the demo fund at 100,000 investments has 250,000, some 100 MB); here
the bulk load lives in NumPy columns (about 55 bytes a payment), sorted by log id so a log id is
found by binary search, with a per-investment index into them, and the few changes made since
sit in small dicts over the columns.

It reads like the dicts it replaces, corner cases included: two records for the same payment
(the web platform wrote some twice) show the later one; forgetting a record that another one
shadows changes nothing visible; forgetting the visible one leaves the payment unpaid (the
shadowed one does not come back).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

import numpy as np

Key = tuple[int, int]  # (kind code, due ordinal)
Entry = tuple[int, str]  # (paid_on ordinal, log id)


class PaidColumns(NamedTuple):
    """Paid records as columns, one position per record (what :meth:`PaidLedger.load` takes)."""

    log_ids: list[str]
    investment_ids: list[str]
    kinds: np.ndarray
    dues: np.ndarray
    paid_on: np.ndarray


class PaidLedger:
    def __init__(self) -> None:
        # The bulk load, one row a record, in log-id order.
        self._log = np.zeros(0, dtype="S1")
        self._as_text = False  # log ids kept as Python strings (one could not be bytes)
        self._inv = np.zeros(0, dtype=np.int32)
        self._kind = np.zeros(0, dtype=np.int8)
        self._due = np.zeros(0, dtype=np.int32)
        self._on = np.zeros(0, dtype=np.int32)
        #: The row's log id is still held (not forgotten).
        self._held = np.zeros(0, dtype=bool)
        #: The row is what its payment shows (not shadowed by a later record, not forgotten).
        self._shown = np.zeros(0, dtype=bool)
        self._inv_ids: list[str] = []
        #: Per investment: its rows, in load order, as a slice of ``_by_inv``.
        self._by_inv = np.zeros(0, dtype=np.int32)
        self._inv_range: dict[str, tuple[int, int]] = {}
        # Records put since the load (and the payments they cover).
        self._extra: dict[str, dict[Key, Entry]] = {}
        self._extra_logs: dict[str, tuple[str, Key]] = {}

    # ---- the bulk load --------------------------------------------------------------------------

    def load(self, log_ids: list[str], investment_ids: Iterable[str], kinds: np.ndarray, dues: np.ndarray,
             paid_on: np.ndarray) -> None:
        """Replace everything with these records (one per position: log id, investment id, kind
        code, due ordinal, paid-on ordinal), later ones winning for the same payment (as a dict
        filled in that order would)."""
        self.__init__()  # type: ignore[misc]
        n = len(log_ids)
        if not n:
            return
        codes: dict[str, int] = {}
        inv = np.fromiter((codes.setdefault(i, len(codes)) for i in investment_ids), dtype=np.int32, count=n)
        self._inv_ids = list(codes)
        kind, due, on = (np.asarray(kinds, dtype=np.int8), np.asarray(dues, dtype=np.int32),
                         np.asarray(paid_on, dtype=np.int32))
        # NumPy drops trailing NUL bytes of fixed-width bytes, and a lone surrogate has no UTF-8:
        # such an id would not read back, so then every id is kept as text.
        self._as_text = any(s.endswith("\0") for s in log_ids)
        if not self._as_text:
            try:
                log = np.array([s.encode() for s in log_ids], dtype=np.bytes_)
            except UnicodeEncodeError:
                self._as_text = True
        if self._as_text:
            log = np.array(log_ids, dtype=object)
        # The last record of each payment is the one shown (the load order decides, as in a dict).
        order = np.lexsort((np.arange(n), due, kind, inv))
        last = np.ones(n, dtype=bool)
        same = (inv[order][1:] == inv[order][:-1]) & (kind[order][1:] == kind[order][:-1]) \
            & (due[order][1:] == due[order][:-1])
        last[order[:-1][same]] = False
        by_log = np.argsort(log, kind="stable")
        self._log, self._inv, self._kind, self._due, self._on = (log[by_log], inv[by_log], kind[by_log],
                                                                  due[by_log], on[by_log])
        self._held = np.ones(n, dtype=bool)
        self._shown = last[by_log]
        # Per investment, its rows in load order (by_log maps sorted position -> load row).
        position_of_row = np.empty(n, dtype=np.int32)
        position_of_row[by_log] = np.arange(n, dtype=np.int32)
        by_inv = np.argsort(inv, kind="stable")  # load rows grouped by investment, in load order
        self._by_inv = position_of_row[by_inv]
        bounds = np.flatnonzero(np.diff(inv[by_inv])) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [n]))
        first_codes = inv[by_inv][starts]
        self._inv_range = {self._inv_ids[c]: (int(a), int(b)) for c, a, b in zip(first_codes.tolist(), starts.tolist(),
                                                                                 ends.tolist(), strict=True)}

    # ---- reading ----------------------------------------------------------------------------------

    def get(self, investment_id: str, default: Mapping[Key, Entry] | None = None) -> dict[Key, Entry]:
        """The investment's paid payments (a new dict: changing it changes nothing here)."""
        out: dict[Key, Entry] = {}
        span = self._inv_range.get(investment_id)
        if span is not None:
            for p in self._by_inv[span[0]:span[1]].tolist():
                if self._shown[p]:
                    out[(int(self._kind[p]), int(self._due[p]))] = (int(self._on[p]), self._text(p))
        extra = self._extra.get(investment_id)
        if extra:
            out.update(extra)
        if not out and default is not None:
            return dict(default)
        return out

    def entry(self, investment_id: str, key: Key) -> Entry | None:
        """What the payment ``key`` of the investment shows, if it is paid."""
        extra = self._extra.get(investment_id)
        if extra and key in extra:
            return extra[key]
        span = self._inv_range.get(investment_id)
        if span is not None:
            for p in self._by_inv[span[0]:span[1]].tolist():
                if self._shown[p] and (int(self._kind[p]), int(self._due[p])) == key:
                    return int(self._on[p]), self._text(p)
        return None

    def shown_rows(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """Every payment shown as paid, as columns: the investment ids, and per payment its
        investment's position in them, its kind code and its due ordinal (for whole-book work)."""
        ids = list(self._inv_ids)
        codes: dict[str, int] = {i: n for n, i in enumerate(ids)}
        mask = self._shown
        inv, kind, due = self._inv[mask], self._kind[mask], self._due[mask]
        if self._extra:
            more = [(codes.setdefault(i, len(codes)), k, d) for i, entries in self._extra.items() for (k, d) in entries]
            ids = list(codes)
            extra = np.array(more, dtype=np.int64).reshape(-1, 3)
            inv = np.concatenate((inv, extra[:, 0].astype(np.int32)))
            kind = np.concatenate((kind, extra[:, 1].astype(np.int8)))
            due = np.concatenate((due, extra[:, 2].astype(np.int32)))
        return ids, inv, kind, due

    def items(self) -> Iterator[tuple[str, dict[Key, Entry]]]:
        for investment_id in {*self._inv_range, *self._extra}:
            entries = self.get(investment_id)
            if entries:
                yield investment_id, entries

    def __contains__(self, log_id: str) -> bool:
        return log_id in self._extra_logs or self._find(log_id) is not None

    def __len__(self) -> int:
        """How many records are held (shadowed ones included)."""
        return int(self._held.sum()) + len(self._extra_logs)

    # ---- changes ----------------------------------------------------------------------------------

    def put(self, investment_id: str, key: Key, entry: Entry) -> None:
        """Record ``entry`` (paid_on, log id) for the payment ``key``; it is what the payment shows."""
        log_id = entry[1]
        self.forget(log_id)
        span = self._inv_range.get(investment_id)
        if span is not None:  # a loaded record of the same payment is shadowed from now on
            for p in self._by_inv[span[0]:span[1]].tolist():
                if self._shown[p] and (int(self._kind[p]), int(self._due[p])) == key:
                    self._shown[p] = False
        self._extra.setdefault(investment_id, {})[key] = entry
        self._extra_logs[log_id] = (investment_id, key)

    def forget(self, log_id: str) -> str | None:
        """Drop the record ``log_id``; returns its investment id (None: not held)."""
        held = self._extra_logs.pop(log_id, None)
        if held is not None:
            investment_id, key = held
            entries = self._extra.get(investment_id, {})
            if entries.get(key, (0, ""))[1] == log_id:  # shadowed by a later record: nothing shows
                entries.pop(key, None)
            return investment_id
        p = self._find(log_id)
        if p is None:
            return None
        self._held[p] = False
        self._shown[p] = False
        return self._inv_ids[int(self._inv[p])]

    # ---- helpers ----------------------------------------------------------------------------------

    def _text(self, p: int) -> str:
        value = self._log[p]
        return value if self._as_text else value.decode()

    def _find(self, log_id: str) -> int | None:
        if not len(self._log):
            return None
        try:
            needle = log_id if self._as_text else log_id.encode()
        except UnicodeEncodeError:
            return None
        p = int(np.searchsorted(self._log, needle))
        if p < len(self._log) and self._log[p] == needle and self._held[p]:
            return p
        return None
