"""Fuzz, the CSV part: whatever a file holds, every row is imported or refused with a reason (or
flagged a duplicate), and a file that cannot be read is refused with a reason. Never a crash."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidus_desktop.crm import csv_import
from fidus_desktop.crm.duplicates import DuplicateIndex, Party
from fidus_desktop.crm.prospects import draft_problems, prospect_from_draft
from fidus_desktop.errors import ValidationError

cells = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "Ana Castro", "ana@example.com", "+1 305 555 0100", "0034 600 111 222", "won",
                     "Negotiation/Proposal", "250,000.00", "250.000,00", "1e9", "NaN", "-5", "=cmd|' /C calc'!A0",
                     "'@SUM(A1)", "\x00", "\ufeff", '"', '""', "\r\n", "a;b,c\td", "2026-02-30", "9" * 40]),
)
HEADERS = ["name", "email", "phone", "stage", "estimated value", "notes", "next action", "due", "owner", "source",
           "first name", "last name", "unknown"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]
STORED = DuplicateIndex.of([Party("p1", "prospect", "Ana Castro", "ana@example.com", "+1 305 555 0100")])


def file_bytes(header: list[str], rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


def check_every_row(data: bytes) -> None:
    try:
        file = csv_import.read_csv(data, "fuzz.csv")
    except ValidationError as refused:
        assert refused.message
        return
    mapping = csv_import.guess_mapping(file.header)
    try:
        preview = csv_import.preview(file, mapping, STORED)
    except ValidationError as refused:  # a required field has no column
        assert "Map a column" in refused.message
        return
    assert [r.line for r in preview.rows] == [line for line, _ in file.rows]
    for row in preview.rows:
        assert row.status in ("ok", "refused", "duplicate")
        if row.status == "refused":
            assert row.problems and all(reason for reason in row.problems.values())
            assert row.draft is None
        else:
            assert row.draft is not None and draft_problems(row.draft) == {}
            prospect = prospect_from_draft(row.draft)  # what would be written: valid, bounded values
            assert prospect.name and prospect.email and len(prospect.name) <= 200
            if row.status == "duplicate":
                assert row.duplicate_of


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8, unique=True),
       st.lists(st.lists(cells, max_size=9), max_size=12), st.sampled_from([",", ";", "\t"]),
       st.sampled_from(ENCODINGS))
def test_any_row_is_imported_or_refused_with_a_reason(header, rows, delimiter, encoding):
    check_every_row(file_bytes(header, rows, delimiter, encoding))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_are_read_or_refused_with_a_reason(data):
    check_every_row(data)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_any_text_with_a_valid_header_is_handled(body):
    check_every_row(("name,email,phone\n" + body).encode("utf-8", errors="replace"))
