"""Statements written for Excel and Windows: the CSV in the chosen format, names that stay
distinct on a case-insensitive disk, and a statement open in Acrobat leaving nothing behind."""

from __future__ import annotations

import csv
import io
import os
from datetime import date

import pytest

from fidus_desktop.exports import CsvFormat, FileInUse
from fidus_desktop.portfolio.loader import load_book
from fidus_desktop.services.statements import export_statements

from .conftest import client, investment

FUND = "FIDUS Investment Management"
PERIOD = (date(2025, 12, 1), date(2026, 2, 28))


async def twin_names(store):
    # Same person typed twice, once in capitals: on NTFS their statements' names collide.
    await store.clients.add_many([client("client_ana", "Ana Castro"), client("client_ana2", "ANA CASTRO")])
    await store.investments.add_many([investment("inv-1", "CORE", "10000"),
                                      investment("inv-2", "CORE", "20000", client_id="client_ana2")])
    return await load_book(store, date(2026, 1, 14))


async def test_names_differing_only_in_case_do_not_overwrite_each_other(store, tmp_path):
    book = await twin_names(store)
    paths = export_statements(book, ["client_ana", "client_ana2"], *PERIOD, FUND, tmp_path)
    names = [p.name for p in paths]
    assert len({n.casefold() for n in names}) == 2
    assert names[1] == "statement_ANA_CASTRO_2025-12-01_2026-02-28_client_ana2.csv"


async def test_statement_csv_follows_the_chosen_separator_and_decimal_sign(store, tmp_path):
    book = await twin_names(store)
    [path] = export_statements(book, ["client_ana2"], *PERIOD, FUND, tmp_path,
                               csv_format=CsvFormat("utf-8-sig", ";", ","))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    holding = next(r for r in rows if len(r) > 1 and r[1] == "inv-2")
    assert holding[4] == "20000,00" and holding[5] == "0,015"


async def test_a_statement_open_elsewhere_raises_file_in_use_and_leaves_no_part(store, tmp_path, monkeypatch):
    book = await twin_names(store)
    out = tmp_path / "out"
    first = export_statements(book, ["client_ana"], *PERIOD, FUND, out)
    before = first[0].read_bytes()

    def locked(*_args):
        raise PermissionError(13, "The process cannot access the file because it is being used by another process")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(FileInUse):
        export_statements(book, ["client_ana"], *PERIOD, FUND, out)
    assert sorted(p.name for p in out.iterdir()) == [first[0].name]
    assert first[0].read_bytes() == before
