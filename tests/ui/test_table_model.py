"""The shared table model: sorting is what a plain, stable Python sort gives (money, dates and text
included), and only the rows asked for are formatted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from fidus_desktop.collation import collation_key
from ui.widgets.table_model import Column, KeyedTableModel, list_data

values = st.one_of(
    st.lists(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False), max_size=40),
    st.lists(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)), max_size=40),
    st.lists(st.text(alphabet="aAbBéÉzZ -", max_size=5), max_size=40),
    st.lists(st.integers(-1000, 1000), max_size=40),
)


@settings(max_examples=80, deadline=None)
@given(values, st.booleans())
def test_sorting_equals_a_stable_python_sort(qapp, items, descending):
    rows = [(value, n) for n, value in enumerate(items)]
    model = KeyedTableModel([Column("Value", lambda r: str(r[0]), sort="value")])
    model.set_data(list_data(rows, {"value": lambda r: r[0]}))
    model.sort(0, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
    got = [model.row(i) for i in range(model.rowCount())]
    key = (lambda r: collation_key(r[0])) if items and isinstance(items[0], str) else (lambda r: r[0])
    expected = sorted(rows, key=key, reverse=descending)
    if descending:  # Python's reverse sort is stable too: equal values keep their first order
        assert [r[0] for r in got] == [r[0] for r in expected]
        for value in {r[0] for r in rows}:
            assert [r[1] for r in got if r[0] == value] == sorted(r[1] for r in rows if r[0] == value)
    else:
        assert got == expected


def test_money_sorts_exactly_not_as_floats(qapp):
    # Two amounts a double cannot tell apart.
    rows = [Decimal("10000000000000000.02"), Decimal("10000000000000000.01")]
    model = KeyedTableModel([Column("Amount", str, sort="amount")])
    model.set_data(list_data(rows, {"amount": lambda r: r}))
    model.sort(0)
    assert [model.row(i) for i in range(2)] == sorted(rows)


def test_only_rows_asked_for_are_formatted(qapp):
    calls = []
    model = KeyedTableModel([Column("N", lambda n: calls.append(n) or str(n))])
    from ui.widgets.table_model import TableData

    model.set_data(TableData(np.arange(500_000, dtype=np.int64), lambda key: int(key)))
    assert model.rowCount() == 500_000 and calls == []
    assert model.data(model.index(123_456, 0)) == "123456"
    assert model.data(model.index(123_456, 0)) == "123456"  # cached
    assert calls == [123_456] and model.formatted == 1
