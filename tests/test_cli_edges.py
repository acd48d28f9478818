"""Command-line edge cases: each gets a message saying what is wrong, a non-zero exit and no
traceback."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from fidus_desktop.app_context import open_context
from fidus_desktop.cli import main
from fidus_desktop.paths import AppPaths


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def demo_fund() -> AppPaths:
    async def run() -> AppPaths:
        paths = AppPaths.default()
        await (await open_context(paths)).close()
        return paths

    return asyncio.run(run())


def exits(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse refusing an argument
        code = stop.code  # type: ignore[assignment]
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.err


@pytest.mark.parametrize("argv, said", [
    # Before: OverflowError: date value out of range, from deep inside the schedule maths.
    (["report", "--days", "99999999"], "argument --days: must be between 0 and 36,600"),
    (["report", "--as-of", "9999-12-31"], "argument --as-of: 9999-12-31 is outside the dates a report can be about"),
    (["report", "--days", "-3"], "must be between 0 and 36,600"),
    (["report", "--days", "soon"], "not a whole number of days"),
])
def test_report_arguments_out_of_range(demo_fund, capsys, argv, said) -> None:
    code, err = exits(argv, capsys)
    assert code == 2 and said in err


def test_the_widest_report_still_works(demo_fund, capsys) -> None:
    assert main(["report", "--json", "--days", "36600", "--as-of", "2199-12-31"]) == 0
    assert '"as_of": "2199-12-31"' in capsys.readouterr().out


@pytest.mark.parametrize("direction", ["--to", "--from"])
def test_migrate_to_something_that_is_not_a_mongodb_address(demo_fund, capsys, tmp_path, monkeypatch,
                                                            direction) -> None:
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    code, err = exits(["migrate", direction, "not-a-uri"], capsys)
    # Before: exit 0, "Done: 184 records written to MongoDB", and a SQLite file named not-a-uri here.
    assert code == 2 and "'not-a-uri' is not a MongoDB address" in err
    assert os.listdir(here) == []


@pytest.mark.parametrize("option, said", [
    ("authMechanism=BOGUS", "authmechanism must be in"),
    ("tls=maybe", "The value of tls must be 'true' or 'false'"),
    ("tls=true&tlsInsecure=true&tlsAllowInvalidCertificates=true", "cannot be specified simultaneously"),
])
def test_an_invalid_uri_option_is_named_not_reported_as_a_login_failure(demo_fund, capsys, option, said) -> None:
    uri = f"mongodb://fund:Op7ion-Secret@127.0.0.1:{closed_port()}/?directConnection=true&{option}"
    code, err = exits(["migrate", "--to", uri, "--timeout", "0.3"], capsys)
    assert code == 2 and "The MongoDB address is not valid" in err and said in err
    assert "user name or password" not in err and "Op7ion-Secret" not in err
    code, err = exits(["report", "--mongo-uri", uri], capsys)
    assert code == 2 and said in err


@pytest.mark.filterwarnings("ignore:Unknown option")  # PyMongo's own warning: it ignores the option
def test_an_unknown_uri_option_is_left_to_the_driver(demo_fund, capsys) -> None:
    uri = f"mongodb://127.0.0.1:{closed_port()}/?directConnection=true&someFutureOption=1"
    code, err = exits(["migrate", "--to", uri, "--timeout", "0.3"], capsys)
    assert code == 2 and "Cannot reach the MongoDB server" in err


@pytest.mark.parametrize("argv", [["report", "--mongo-uri", "user:Pa55word-X@not-a-uri"],
                                  ["--mongo-uri", "user:Pa55word-X@not-a-uri", "--smoke"]])
def test_a_session_mongo_uri_that_is_not_one_is_refused_before_anything_opens(capsys, tmp_path, monkeypatch,
                                                                               argv) -> None:
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    code, err = exits(argv, capsys)
    # Before: read as a file path, and a SQLite fund created under that name in the current folder.
    assert code == 2 and "--mongo-uri: not a MongoDB address" in err and "Pa55word-X" not in err
    assert os.listdir(here) == []
