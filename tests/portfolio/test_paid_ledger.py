"""The paid-payments ledger (NumPy columns and a small overlay) reads exactly like the dicts it
replaced, whatever was loaded, recorded and forgotten, duplicates and odd log ids included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fidus_desktop.portfolio.paid import PaidLedger

INVESTMENTS = ("inv_a", "inv_b", "inv_c")
LOG_IDS = st.sampled_from(["log_1", "log_2", "log_3", "log_4", "log_5", "é_log", "x\0", "\0", "log_\udcff"])
KEYS = st.tuples(st.integers(0, 1), st.integers(738000, 738003))
RECORD = st.tuples(LOG_IDS, st.sampled_from(INVESTMENTS), KEYS, st.integers(738000, 738100))


class DictModel:
    """The book's former representation, as its methods used it."""

    def __init__(self, rows):
        self.paid: dict[str, dict] = {}
        self.logs: dict[str, tuple] = {}
        for log_id, inv, key, on in rows:
            self.paid.setdefault(inv, {})[key] = (on, log_id)
            self.logs[log_id] = (inv, key)

    def put(self, inv, key, entry):
        if entry[1] in self.logs:
            self.forget(entry[1])
        self.paid.setdefault(inv, {})[key] = entry
        self.logs[entry[1]] = (inv, key)

    def forget(self, log_id):
        held = self.logs.pop(log_id, None)
        if held is None:
            return None
        inv, key = held
        entries = self.paid.get(inv, {})
        if entries.get(key, (0, ""))[1] == log_id:
            entries.pop(key, None)
        return inv


def load(rows) -> PaidLedger:
    ledger = PaidLedger()
    ledger.load([r[0] for r in rows], [r[1] for r in rows], np.array([r[2][0] for r in rows]),
                np.array([r[2][1] for r in rows]), np.array([r[3] for r in rows]))
    return ledger


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORD, max_size=12, unique_by=lambda r: r[0]),
       st.lists(st.one_of(st.tuples(st.just("put"), RECORD), st.tuples(st.just("forget"), LOG_IDS)), max_size=10))
def test_the_ledger_reads_like_the_dicts(rows, operations):
    ledger, model = load(rows), DictModel(rows)
    for operation in operations:
        if operation[0] == "put":
            log_id, inv, key, on = operation[1]
            ledger.put(inv, key, (on, log_id))
            model.put(inv, key, (on, log_id))
        else:
            assert ledger.forget(operation[1]) == model.forget(operation[1])
    for inv in INVESTMENTS:
        assert ledger.get(inv, {}) == model.paid.get(inv, {})
        for key in model.paid.get(inv, {}):
            assert ledger.entry(inv, key) == model.paid[inv][key]
    assert all((log_id in ledger) == (log_id in model.logs) for log_id in ("log_1", "x\0", "log_\udcff", "none"))
    ids, codes, kinds, dues = ledger.shown_rows()
    shown = sorted((ids[c], int(k), int(d)) for c, k, d in zip(codes, kinds, dues, strict=True))
    assert shown == sorted((inv, k, d) for inv, entries in model.paid.items() for (k, d) in entries)


def test_a_million_payments_take_tens_of_megabytes_not_hundreds():
    n = 1_000_000
    ledger = PaidLedger()
    ledger.load([f"log_{i:032x}" for i in range(n)], (f"inv_{i // 10:012x}" for i in range(n)),
                np.ones(n, dtype=np.int8), np.arange(n, dtype=np.int32) % 3000 + 738000,
                np.full(n, 738500, dtype=np.int32))
    columns = sum(a.nbytes for a in (ledger._log, ledger._inv, ledger._kind, ledger._due, ledger._on, ledger._held,
                                     ledger._shown, ledger._by_inv))
    assert columns < 70 * 2**20
    assert ledger.get(f"inv_{5:012x}")[(1, 738050)] == (738500, f"log_{50:032x}")
    assert ledger.forget(f"log_{50:032x}") == f"inv_{5:012x}" and (1, 738050) not in ledger.get(f"inv_{5:012x}")
