"""Reading settings from a parsed JSON file, one setting at a time.

Each value is checked against its declared type and bounds (``setting(low=, high=, path=)`` in
:mod:`.config`). A value that does not fit is reset to its default and named in the problems;
every other value is kept. A list keeps its valid items. A section that is not an object is
reset as a whole. Nothing the file holds can raise: a top-level array, ``NaN``, a string where
a number belongs, a section where a string belongs all end as a named problem.

The storage choice is the exception to "reset to the default": resetting it would silently open
another fund (the embedded demo instead of the fund's MongoDB), so a storage choice that cannot
be read marks the settings ``storage.unreadable`` instead, and no fund is opened.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import typing
from collections.abc import Callable
from pathlib import PureWindowsPath
from typing import Any, Literal

from .config import CONFIG_VERSION, Settings, StorageSettings

#: Path settings are rewritten with backslashes on Windows (``C:/Program Files/...`` is accepted).
WINDOWS = os.name == "nt"

# version -> function turning that version's dict into version + 1
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

#: The storage settings that say which fund is opened, per backend.
_CHOOSES_THE_FUND = {"sqlite": ("backend", "sqlite_path"),
                     "mongodb": ("backend", "mongo_uri_secret", "mongo_database")}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a line break", "\b": "a backspace",
                  "\f": "a form feed"}


class _Invalid(Exception):
    """This value cannot be used: ``str(self)`` says why."""


#: ``(where, why, what was done)``: ``("mt5.poll_seconds", "nan is not a finite number", "; reset to 5.0")``.
type Problems = list[tuple[str, str, str]]


def read_settings(data: Any) -> tuple[Settings, list[str]]:
    """``(settings, problems)`` from the value a settings file holds; each problem is a sentence
    starting with the setting's name."""
    problems: Problems = []
    settings = _read(data, problems)
    texts = [f"{where}: {why}{done}" if where else why for where, why, done in problems]
    storage = data.get("storage", {}) if isinstance(data, dict) else None
    chosen = storage.get("backend", "sqlite") if isinstance(storage, dict) else None
    fields = _CHOOSES_THE_FUND.get(chosen, ("backend",)) if isinstance(chosen, str) else ("backend",)
    critical = {f"storage.{name}" for name in fields}
    unknown = [f"{where}: {why}" if where else why for where, why, _ in problems
               if where in critical or where in ("", "config_version", "storage")]
    if settings is None or not isinstance(storage, dict) or unknown:
        # Never a default here: that would open another fund than the one the file names.
        settings = (settings or Settings()).replace(
            storage=StorageSettings(unreadable="; ".join(unknown) or "the storage choice cannot be read"))
    return settings, texts


def _read(data: Any, problems: Problems) -> Settings | None:
    if not isinstance(data, dict):
        problems.append(("", f"the file should hold one JSON object {{...}}, not {_kind(data)}", ""))
        return None
    version = data.get("config_version", CONFIG_VERSION)
    if type(version) is not int or version < 1:
        problems.append(("config_version", f"{_shown(version)} is not a settings version", ""))
        return None
    if version > CONFIG_VERSION:
        problems.append(("", f"the file is from a newer FIDUS Desktop (settings version {version}, this "
                             f"one reads {CONFIG_VERSION}): update FIDUS Desktop", ""))
        return None
    while version < CONFIG_VERSION:
        data = _UPGRADES[version](data)
        version += 1
    return _build(Settings, {**data, "config_version": CONFIG_VERSION}, "", problems)


def _build(cls: type, data: dict[str, Any], where: str, problems: Problems) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.metadata.get("saved", True)}
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        f = fields.get(name)
        place = f"{where}.{name}" if where else name
        if f is None:
            continue  # unknown keys are ignored (an older or newer release's setting)
        try:
            kwargs[name] = _value(hints[name], value, place, f.metadata, problems)
        except _Invalid as why:
            problems.append((place, str(why), _reset_to(f)))
    lacking = [n for n, f in fields.items() if f.metadata.get("required") and not kwargs.get(n)]
    if lacking:
        raise _Invalid(f"lacks {', '.join(lacking)}")
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field was missing or invalid
        missing = [n for n, f in fields.items() if n not in kwargs and _default(f) is dataclasses.MISSING]
        raise _Invalid(f"lacks {', '.join(missing) or 'a required value'}") from exc


def _value(hint: Any, value: Any, place: str, meta: Any, problems: Problems) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise _Invalid(f"should be a section {{...}}, not {_kind(value)}")
        return _build(hint, value, place, problems)
    origin = typing.get_origin(hint)
    if origin is tuple:
        (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
        if not isinstance(value, list):
            raise _Invalid(f"should be a list [...], not {_kind(value)}")
        kept = []
        for i, element in enumerate(value):
            try:
                kept.append(_value(item, element, f"{place}[{i}]", meta, problems))
            except _Invalid as why:
                problems.append((f"{place}[{i}]", str(why), "; left out"))
        return tuple(kept)
    if origin is Literal:
        choices = typing.get_args(hint)
        if type(value) is not str or value not in choices:
            raise _Invalid(f"must be one of {', '.join(choices)}, not {_shown(value)}")
        return value
    if hint is bool:
        if type(value) is not bool:
            raise _Invalid(f"should be true or false, not {_shown(value)}")
        return value
    if hint is int:
        if type(value) is not int:
            raise _Invalid(f"should be a whole number, not {_shown(value)}")
        return _bounded(value, meta)
    if hint is float:
        if type(value) not in (int, float):
            raise _Invalid(f"should be a number, not {_shown(value)}")
        try:
            number = float(value)
        except OverflowError:  # a whole number of hundreds of digits
            raise _Invalid(f"{_shown(value)} is beyond any value this setting can hold") from None
        if not math.isfinite(number):
            raise _Invalid(f"{_shown(value)} is not a finite number")
        return _bounded(number, meta)
    if hint is str:
        if type(value) is not str:
            raise _Invalid(f"should be text in quotes, not {_shown(value)}")
        return _path(value) if meta.get("path") else value
    raise _Invalid(f"has a type this version cannot read ({hint})")  # a programming error in config.py


def _bounded(value: float, meta: Any) -> Any:
    low, high = meta.get("low"), meta.get("high")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _Invalid(f"{_shown(value)} is outside {_shown(low)}..{_shown(high)}")
    return value


def _path(value: str) -> str:
    if found := _CONTROL.search(value):
        what = _CONTROL_NAMES.get(found.group(), "a control character")
        raise _Invalid(f"holds {what} (a single backslash in JSON starts an escape, so \"C:\\temp\" reads "
                       "as C:<tab>emp): write the path with / (C:/temp) or double each backslash")
    return str(PureWindowsPath(value)) if WINDOWS and value else value


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _reset_to(f: dataclasses.Field[Any]) -> str:
    default = _default(f)
    if dataclasses.is_dataclass(default):
        return "; its defaults are used"
    if default is dataclasses.MISSING:
        return ""
    return f"; reset to {default!r}" if default not in ("", ()) else "; reset to empty"


def _kind(value: Any) -> str:
    return {dict: "a section", list: "a list", str: "text", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return _kind(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    text = repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
