"""Fuzz: whatever a settings file holds, the app gets typed, finite, in-range settings (or knows
it cannot tell which fund to open), never an exception; and what it saves reads back the same."""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
import typing
from pathlib import Path
from typing import Any, Literal

from hypothesis import given
from hypothesis import strategies as st

from fidus_desktop.config import Settings, load_settings, save_settings, settings_from_dict, settings_to_dict

from .hostile import FUZZ, json_values, mutated

VALID = settings_to_dict(Settings())


def assert_sane(value: Any, meta: Any = None, where: str = "settings") -> None:
    """Every field has its declared type, every number is finite and within its bounds."""
    meta = meta or {}
    if dataclasses.is_dataclass(value):
        hints = typing.get_type_hints(type(value))
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            hint = hints[f.name]
            origin = typing.get_origin(hint)
            if origin is tuple:
                (inner,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
                assert isinstance(item, tuple), f"{where}.{f.name}"
                for element in item:
                    check_leaf(inner, element, f.metadata, f"{where}.{f.name}[]")
            else:
                check_leaf(hint, item, f.metadata, f"{where}.{f.name}")
        return
    raise AssertionError(f"{where} is not a settings section")


def check_leaf(hint: Any, value: Any, meta: Any, where: str) -> None:
    if dataclasses.is_dataclass(hint):
        assert isinstance(value, hint), where
        assert_sane(value, where=where)
        return
    if typing.get_origin(hint) is Literal:
        assert value in typing.get_args(hint), where
        return
    assert type(value) is hint or (hint is float and type(value) is float), f"{where}: {value!r}"
    if hint in (int, float):
        assert math.isfinite(value), where
        low, high = meta.get("low"), meta.get("high")
        assert low is None or value >= low, where
        assert high is None or value <= high, where
    if hint is str and meta.get("path"):
        assert not any(ord(c) < 32 for c in value), where


@FUZZ
@given(st.one_of(mutated(VALID, json_values), json_values))
def test_any_parsed_settings_file_gives_sane_settings(data: Any) -> None:
    settings, problems = settings_from_dict(data)
    assert_sane(settings)
    assert all(isinstance(p, str) and p for p in problems)
    if settings.storage.unreadable:
        assert problems  # never an unknown storage choice without saying why


@FUZZ
@given(mutated(VALID, json_values))
def test_what_is_saved_reads_back_equal_and_clean(data: Any) -> None:
    settings, _ = settings_from_dict(data)
    if settings.storage.unreadable:
        return  # never saved (the file is kept for the manager)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        save_settings(settings, path)
        assert load_settings(path) == (settings, None)


@FUZZ
@given(st.one_of(
    st.binary(max_size=400),
    mutated(VALID, json_values).map(lambda d: json.dumps(d, allow_nan=True).encode()),
    mutated(VALID, json_values).map(lambda d: b"\xef\xbb\xbf" + json.dumps(d).encode()),
    # Cut short, as a crash or a full disk leaves a file.
    st.tuples(mutated(VALID, json_values), st.integers(min_value=0, max_value=400)).map(
        lambda pair: json.dumps(pair[0]).encode()[:pair[1]]),
))
def test_any_bytes_in_the_settings_file_never_stop_the_app(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        path.write_bytes(raw)
        settings, warning = load_settings(path)
        assert_sane(settings)
        assert warning is None or isinstance(warning, str)
        assert path.read_bytes() == raw  # loading never changes, moves or deletes the file
