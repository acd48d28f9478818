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
from fidus_desktop.domain.people import Client
from fidus_desktop.services.statement_export import ExportOptions, write_statements

from .conftest import client, investment

FUND = "FIDUS Investment Management"
PERIOD = (date(2025, 12, 1), date(2026, 2, 28))
CLIENTS = {"client_ana": Client(client_id="client_ana", name="Ana Castro", email=""),
           "client_ana2": Client(client_id="client_ana2", name="ANA CASTRO", email="")}


def export_statements(book, client_ids, first, last, fund, folder, *, csv_format=CsvFormat()):
    result = write_statements(book, [CLIENTS[c] for c in client_ids], first, last, folder,
                              ExportOptions(fund, pdf=False, csv=True, csv_format=csv_format))
    return result.paths, result.failed


async def twin_names(store):
    # Same person typed twice, once in capitals: on NTFS their statements' names collide.
    await store.clients.add_many([client("client_ana", "Ana Castro"), client("client_ana2", "ANA CASTRO")])
    await store.investments.add_many([investment("inv-1", "CORE", "10000"),
                                      investment("inv-2", "CORE", "20000", client_id="client_ana2")])
    return await load_book(store, date(2026, 1, 14))


async def test_names_differing_only_in_case_do_not_overwrite_each_other(store, tmp_path):
    book = await twin_names(store)
    paths, _ = export_statements(book, ["client_ana", "client_ana2"], *PERIOD, FUND, tmp_path)
    names = [p.name for p in paths]
    assert len({n.casefold() for n in names}) == 2
    assert names[1] == "statement_ANA_CASTRO_2025-12-01_2026-02-28_client_ana2.csv"


async def test_statement_csv_follows_the_chosen_separator_and_decimal_sign(store, tmp_path):
    book = await twin_names(store)
    [path], _ = export_statements(book, ["client_ana2"], *PERIOD, FUND, tmp_path,
                               csv_format=CsvFormat("utf-8-sig", ";", ","))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    holding = next(r for r in rows if len(r) > 1 and r[1] == "inv-2")
    assert holding[4] == "20000,00" and holding[5] == "0,015"


async def test_a_statement_open_elsewhere_is_reported_and_leaves_no_part(store, tmp_path, monkeypatch):
    book = await twin_names(store)
    out = tmp_path / "out"
    first, _ = export_statements(book, ["client_ana"], *PERIOD, FUND, out)
    before = first[0].read_bytes()

    def locked(*_args):
        raise PermissionError(13, "The process cannot access the file because it is being used by another process")

    monkeypatch.setattr(os, "replace", locked)
    paths, failed = export_statements(book, ["client_ana"], *PERIOD, FUND, out)
    # the statement is reported as not written (the others would go on), and the old file stays whole
    assert paths == [] and [client_id for client_id, _ in failed] == ["client_ana"]
    assert "is open in another program" in failed[0][1]
    assert sorted(p.name for p in out.iterdir()) == [first[0].name]
    assert first[0].read_bytes() == before
