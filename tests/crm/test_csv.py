"""CSV import and export: the files spreadsheets write (BOM, semicolons, tabs, Windows-1252,
UTF-16), broken rows, duplicates, formula-looking cells, and the limits."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from fidus_desktop.crm import csv_import
from fidus_desktop.crm.csv_export import csv_text, safe_cell, write_csv
from fidus_desktop.crm.duplicates import DuplicateIndex, Party
from fidus_desktop.crm.filters import PipelineFilter, Sort
from fidus_desktop.crm.index import build_snapshot
from fidus_desktop.crm.pipeline_service import read_pipeline
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.errors import ValidationError

HEADER = "Name;E-mail;Phone;Stage;Estimated value;Notes\r\n"


def rows_of(preview):
    return [(r.line, r.status) for r in preview.rows]


def check(data: bytes, duplicates=None):
    file = csv_import.read_csv(data, "leads.csv")
    return file, csv_import.preview(file, csv_import.guess_mapping(file.header), duplicates)


def test_utf8_with_bom_and_semicolons():
    data = codecs.BOM_UTF8 + (HEADER + "José Núñez;jose@example.com;+34 600 111 222;Qualified;250.000,00;\r\n"
                              ).encode("utf-8")
    file, preview = check(data)
    assert (file.encoding, file.delimiter_name, file.header[0]) == ("UTF-8 with BOM", "semicolon", "Name")
    [row] = preview.rows
    assert row.status == "ok" and row.draft.name == "José Núñez" and row.draft.stage is Stage.QUALIFIED
    assert row.draft.estimated_value == "250.000,00"  # a European spreadsheet's 250,000.00
    from fidus_desktop.crm.prospects import prospect_from_draft

    assert str(prospect_from_draft(row.draft).estimated_value) == "250000.00"


@pytest.mark.parametrize(("text", "value"), [("250000", "250000"), ("250,000.50", "250000.50"),
                                             ("250.000,50", "250000.50"), ("1500,5", "1500.5"), ("$ 1,000", "1000"),
                                             ("250.000", None), ("1,00,000", None), ("12e3", None), ("1.2.3", None)])
def test_amounts_in_both_spreadsheet_conventions_and_ambiguity_refused(text, value):
    from decimal import Decimal

    from fidus_desktop.domain.contact import amount_problem, parse_amount

    assert parse_amount(text) == (None if value is None else Decimal(value))
    if text == "250.000":
        assert "two ways" in amount_problem(text)


def test_windows_1252_and_tabs():
    text = "Name\tEmail\tPhone\r\nFrançois Müller\tfm@example.com\t+41 44 123 45 67\r\nRenée – “Cotton”\trc@example.com\t+33 1 23 45 67 89\r\n"
    file, preview = check(text.encode("cp1252"))
    assert (file.encoding, file.delimiter_name) == ("Windows-1252", "tab")
    assert [r.draft.name for r in preview.rows] == ["François Müller", "Renée – “Cotton”"]


def test_utf16_from_excel_unicode_text():
    text = "Name\tEmail\tPhone\r\nŁukasz\tlk@example.com\t+48 22 123 45 67\r\n"
    file, preview = check(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert file.encoding == "UTF-16" and preview.rows[0].draft.name == "Łukasz"


def test_bad_rows_are_refused_with_reasons_and_the_good_ones_kept():
    text = ("name,email,phone,stage,value,next action,due\n"
            "Good One,good@example.com,+1 305 555 0100,won,1000,,\n"
            ",noname@example.com,+1 305 555 0101,,,,\n"
            "Bad Mail,bad@@example,+1 305 555 0102,,,,\n"
            "Bad Stage,st@example.com,+1 305 555 0103,almost,,,\n"
            "Bad Date,dt@example.com,+1 305 555 0104,,,Call,31/12/2026\n"
            "Short row,short@example.com\n")
    _, preview = check(text.encode())
    assert rows_of(preview) == [(2, "ok"), (3, "refused"), (4, "refused"), (5, "refused"), (6, "refused"),
                                (7, "refused")]
    reasons = {r.line: r.problems for r in preview.rows}
    assert "required" in reasons[3]["name"]
    assert "not an e-mail" in reasons[4]["email"]
    assert "Unknown stage 'almost'" in reasons[5]["stage"]
    assert "not a date" in reasons[6]["next_action_due"]
    assert "phone" in reasons[7]


def test_duplicates_of_stored_records_and_of_earlier_rows():
    stored = DuplicateIndex.of([Party("p-1", "prospect", "Ana Castro", "ana@example.com", "+1 305 555 0100")])
    text = ("name,email,phone\n"
            "Ana Again,ANA@example.com,+44 20 7946 0001\n"
            "Bo,bo@example.com,+44 20 7946 0002\n"
            "Bo Twice,bo2@example.com,+44 (20) 7946-0002\n")
    _, preview = check(text.encode(), stored)
    assert rows_of(preview) == [(2, "duplicate"), (3, "ok"), (4, "duplicate")]
    assert "prospect Ana Castro (p-1)" in preview.rows[0].reason
    assert "line 3 of this file (phone)" in preview.rows[2].reason
    assert len(preview.to_import()) == 1 and len(preview.to_import(include_duplicates=True)) == 3


def test_a_formula_looking_cell_is_data_on_import_and_text_on_export(tmp_path):
    text = 'name,email,phone,notes\n"=HYPERLINK(""http://x"",""y"")",f@example.com,+1 305 555 0100,@SUM(A1)\n'
    _, preview = check(text.encode())
    [row] = preview.rows
    assert row.draft.name.startswith("=HYPERLINK") and row.draft.notes == "@SUM(A1)"
    snapshot = build_snapshot([], [])
    from fidus_desktop.crm.index import Record

    snapshot = snapshot.updated_with([Record(key="p1", is_lead=False, name=row.draft.name, email="f@example.com",
                                             phone="+1 305 555 0100", notes=row.draft.notes)])
    out = csv_text(snapshot, snapshot.select(PipelineFilter(), Sort()))
    cells = list(csv.reader(io.StringIO(out)))[1]
    assert cells[1].startswith("'=HYPERLINK") and cells[3] == "'+1 305 555 0100" and cells[-1] == "'@SUM(A1)"
    # The exported file imports back to the same values.
    path = tmp_path / "out.csv"
    write_csv(path, snapshot, snapshot.select(PipelineFilter(), Sort()))
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and b"\r\n" in data
    _, again = check(data)
    assert again.rows[0].draft.name == row.draft.name and again.rows[0].draft.phone == "+1 305 555 0100"


@pytest.mark.parametrize("value", ["=1+2", "+cmd", "-2+3", "@x", "\tTab", "\rCR"])
def test_every_formula_start_is_escaped(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("plain") == "plain"


def test_hostile_files_are_refused_with_a_reason():
    with pytest.raises(ValidationError, match="empty"):
        csv_import.read_csv(b"  \r\n ")
    with pytest.raises(ValidationError, match="binary"):
        csv_import.read_csv(b"PK\x03\x04\x00\x00binary zip")
    huge = b"name,email,phone\n" + b"x" * (csv_import.MAX_CELL + 10) + b",a@example.com,+1 305 555 0100\n"
    file = csv_import.read_csv(huge)
    assert file.rows == () and "could not be read" in file.problems[0]
    unclosed = b'name,email,phone\nAna,ana@example.com,+1 305 555 0100\n"Open,quote@example.com,+1 305 555 0199\n'
    file = csv_import.read_csv(unclosed)
    assert len(file.rows) >= 1 and file.rows[0][1][0] == "Ana"
    with pytest.raises(ValidationError, match="Map a column"):
        csv_import.preview(csv_import.read_csv(b"foo,bar\n1,2\n"), {})


def test_the_row_limit_keeps_the_first_rows(monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_ROWS", 3)
    data = b"name,email,phone\n" + b"".join(b"N%d,n%d@example.com,+1 305 555 01%02d\n" % (i, i, i) for i in range(10))
    file = csv_import.read_csv(data)
    assert len(file.rows) == 3 and "first 3 rows" in file.problems[0]


async def test_commit_writes_all_good_rows_in_one_operation(context, store):
    text = "name,email,phone\nA One,a1@example.com,+1 305 555 0101\nbad,bad,bad\nA Two,a2@example.com,+1 305 555 0102\n"
    _, preview = check(text.encode())
    outcome = await csv_import.commit(context, preview)
    assert [line for line, _ in outcome.imported] == [2, 4]
    assert outcome.result.saved and outcome.result.operation.kind == "prospect.import"
    assert await store.prospects.count() == 2
    audits = [e for e in await store.activity.find() if e.activity_type == "prospects_imported"]
    assert len(audits) == 1 and audits[0].details["imported"] == 2
    prospects, _ = await read_pipeline(store)
    assert {r[2] for r in prospects} == {"a1@example.com", "a2@example.com"}
