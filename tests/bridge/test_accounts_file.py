"""The bridge's accounts file as Windows editors save it, and mistakes that say where they are."""

from __future__ import annotations

import codecs
import json

import pytest

from bridge_link.server.build import read_accounts_file
from bridge_link.server.cli import main

ROWS = [{"login": 100001, "name": "CORE - José", "fund_type": "CORE", "target_amount": 420000}]


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                          ("utf-16-be", codecs.BOM_UTF16_BE)],
                         ids=["utf-8", "utf-8 with BOM (Notepad on Server 2016/2019)", "utf-16 LE", "utf-16 BE"])
def test_the_accounts_file_is_read_as_notepad_saves_it(tmp_path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "accounts.json"
    path.write_bytes(bom + json.dumps(ROWS, ensure_ascii=False, indent=2).encode(encoding))
    meta = read_accounts_file(str(path))[100001]
    assert meta.name == "CORE - José" and meta.fund_type == "CORE" and meta.target_amount == 420000


def test_a_json_mistake_names_its_line_and_column(tmp_path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text('[\n  {"login": 100001,\n   "name": "C:\\Program Files"}\n]\n', encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        read_accounts_file(str(path))
    message = str(caught.value)
    assert str(path) in message and "line 3, column 15" in message and "backslash" in message


@pytest.mark.parametrize("rows,why", [
    ({"login": 1}, "JSON list"),
    (["100001"], "account 1 is not a JSON object"),
    ([{"login": 1}, {"name": "no login"}], "account 2: 'login'"),
    ([{"login": True}], "'login'"),
    ([{"login": -5}], "'login'"),
    ([{"login": 1, "name": {"$gt": ""}}], "'name' must be text"),
    ([{"login": 1, "target_amount": "NaN"}], "'target_amount'"),
    ([{"login": 1, "target_amount": "lots"}], "'target_amount'"),
    ([{"login": 1, "password": "x"}], "passwords"),
])
def test_each_wrong_entry_is_named(tmp_path, rows, why: str) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        read_accounts_file(str(path))
    assert why in str(caught.value)


def test_serve_reports_a_bad_accounts_file_or_list_without_a_traceback(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("MT5_BRIDGE_API_KEY", "k" * 20)
    path = tmp_path / "accounts.json"
    path.write_bytes(b"[{\"login\": 1,}]")
    assert main(["serve", "--accounts-file", str(path)]) == 2
    assert "line 1, column 13" in capsys.readouterr().err
    assert main(["serve", "--demo", "--accounts", "1,two"]) == 2
    assert "--accounts must be account numbers" in capsys.readouterr().err
