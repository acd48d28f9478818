"""Exports Excel opens right, and that survive a file open in another program."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest

from fidus_desktop import exports
from fidus_desktop.config import ExportSettings
from fidus_desktop.exports import (CsvFormat, FileInUse, LocaleNumbers, csv_format, start_folder, system_numbers,
                                   unique_name, write_bytes, write_csv, write_with)


class SharingViolation(PermissionError):
    """What ``os.replace`` raises on Windows when Excel holds the target: WinError 32."""

    winerror = 32


def locked_replace(*_args):
    raise SharingViolation(13, "The process cannot access the file because it is being used by another process")


def test_csv_has_a_byte_order_mark_so_excel_reads_accents(tmp_path):
    path = write_csv(tmp_path / "calendar.csv", [("client", "amount"), ("José Muñoz", "1250.50")], CsvFormat())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == "client,amount\r\nJosé Muñoz,1250.50\r\n"
    # what Excel does with a BOM'd file: UTF-8; Python's reader sees the same columns
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [["client", "amount"], ["José Muñoz", "1250.50"]]


def test_plain_utf8_and_windows_1252_can_be_chosen(tmp_path):
    plain = write_csv(tmp_path / "a.csv", [("José",)], csv_format(ExportSettings(csv_encoding="utf-8", csv_separator=",")))
    assert plain.read_bytes() == "José\r\n".encode()
    ansi = write_csv(tmp_path / "b.csv", [("José 漢",)], csv_format(ExportSettings(csv_encoding="cp1252")))
    assert ansi.read_bytes() == "José ?\r\n".encode("cp1252")


def test_the_windows_list_separator_and_decimal_sign_are_used_by_default():
    german = system_numbers(platform="win32", read_international=lambda: {"sList": ";", "sDecimal": ","})
    fmt = csv_format(ExportSettings(), german)
    assert (fmt.delimiter, fmt.decimal) == (";", ",")
    assert fmt.text([("Zins", fmt.amount(Decimal("1234.5")))]) == "Zins;1234,50\r\n"
    english = system_numbers(platform="win32", read_international=lambda: {"sList": ",", "sDecimal": "."})
    assert csv_format(ExportSettings(), english).delimiter == ","


def test_the_managers_choice_overrides_the_locale_and_never_clashes_with_the_decimal_sign():
    german = LocaleNumbers(";", ",")
    fmt = csv_format(ExportSettings(csv_separator=","), german)
    assert (fmt.delimiter, fmt.decimal) == (",", ".")
    assert csv_format(ExportSettings(csv_separator="tab"), german).delimiter == "\t"


def test_elsewhere_the_c_librarys_locale_decides():
    assert system_numbers(platform="linux", localeconv=lambda: {"decimal_point": ","}) == LocaleNumbers(";", ",")
    assert system_numbers(platform="linux", localeconv=lambda: {"decimal_point": "."}) == LocaleNumbers(",", ".")


def test_unreadable_regional_settings_fall_back_to_the_locale():
    def broken() -> dict:
        raise OSError("no such key")

    assert system_numbers(platform="win32", read_international=broken,
                          localeconv=lambda: {"decimal_point": "."}) == LocaleNumbers(",", ".")


def test_a_file_open_in_excel_gives_a_clear_error_and_no_part_file(tmp_path, monkeypatch):
    target = tmp_path / "payment_calendar.csv"
    target.write_text("the old export")
    monkeypatch.setattr(os, "replace", locked_replace)
    with pytest.raises(FileInUse) as caught:
        write_csv(target, [("new",)], CsvFormat())
    assert "Close it in the other program" in caught.value.message
    assert "save under another name" in caught.value.message
    assert caught.value.path == target
    assert [p.name for p in tmp_path.iterdir()] == ["payment_calendar.csv"]
    assert target.read_text() == "the old export"
    monkeypatch.undo()
    write_csv(target, [("new",)], CsvFormat())  # closed in Excel: the retry works
    assert target.read_bytes().decode("utf-8-sig") == "new\r\n"


def test_a_failing_writer_leaves_nothing_behind(tmp_path):
    def crash(path: Path) -> None:
        path.write_bytes(b"half a PDF")
        raise RuntimeError("the printer driver crashed")

    with pytest.raises(RuntimeError):
        write_with(tmp_path / "statement.pdf", crash)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_written_is_said(tmp_path, monkeypatch):
    def denied(*_args, **_kwargs):
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr("tempfile.mkstemp", denied)
    with pytest.raises(exports.FolderNotWritable, match="cannot write in"):
        write_bytes(tmp_path / "x.csv", b"")


def test_names_are_unique_regardless_of_case():
    taken: set[str] = set()
    assert unique_name("statement_Ana.pdf", taken) == "statement_Ana.pdf"
    assert unique_name("STATEMENT_ana.pdf", taken) == "STATEMENT_ana (2).pdf"
    assert unique_name("statement_ana.PDF", taken) == "statement_ana (3).PDF"
    assert unique_name("notes", taken) == "notes"
    assert unique_name("Notes", taken) == "Notes (2)"


def test_dialogs_start_in_the_last_folder_else_documents(tmp_path, monkeypatch):
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(exports, "documents_folder", lambda: documents)
    assert start_folder("") == documents
    assert start_folder(str(tmp_path / "gone")) == documents
    assert start_folder(str(tmp_path)) == tmp_path
