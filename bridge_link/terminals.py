"""The MetaTrader 5 terminals installed on this Windows computer.

``MetaTrader5.initialize()`` without a path attaches to whichever terminal it finds first, so
with several installed (one per broker is common) the wrong one may answer. The app therefore
asks for the path when it finds more than one. Two places tell where terminals are:

* ``%ProgramFiles%`` and ``%ProgramFiles(x86)%``: each installer's folder holds ``terminal64.exe``;
* ``%APPDATA%\\MetaQuotes\\Terminal\\<id>\\origin.txt``: every terminal that has run for this user
  (installed anywhere) writes its install folder there, in UTF-16 as Windows programs do.

A terminal installed ``/portable`` in a folder of its own is found only through the second.
Everything is read through an environment mapping and plain paths, so a test builds the tree.
Standard library only: the bridge server on the VPS uses it too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

EXECUTABLE = "terminal64.exe"
#: An ``origin.txt`` is one path; anything longer is not one.
_MAX_ORIGIN_BYTES = 4096


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig", errors="replace")


def _origins(appdata: Path) -> list[Path]:
    found = []
    root = appdata / "MetaQuotes" / "Terminal"
    try:
        folders = sorted(root.iterdir())
    except OSError:
        return []
    for folder in folders:
        origin = folder / "origin.txt"
        try:
            with origin.open("rb") as handle:
                raw = handle.read(_MAX_ORIGIN_BYTES + 1)
        except OSError:
            continue
        if len(raw) > _MAX_ORIGIN_BYTES:
            continue
        text = _decode(raw).strip().strip("\x00")
        if text:
            found.append(Path(text) / EXECUTABLE)
    return found


def _installed(program_files: Path) -> list[Path]:
    try:
        folders = sorted(program_files.iterdir())
    except OSError:
        return []
    return [folder / EXECUTABLE for folder in folders]


def find_terminals(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """Every ``terminal64.exe`` found, each once (Windows paths compare without case)."""
    env = os.environ if env is None else env
    candidates: list[Path] = []
    for name in ("ProgramFiles", "ProgramFiles(x86)", "ProgramW6432"):
        if env.get(name):
            candidates += _installed(Path(env[name]))
    if env.get("APPDATA"):
        candidates += _origins(Path(env["APPDATA"]))
    seen: dict[str, Path] = {}
    for path in candidates:
        key = os.path.normcase(str(path)).lower()
        if key not in seen and _is_file(path):
            seen[key] = path
    return tuple(seen.values())


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def terminal_problem(terminal_path: str, portable: bool, found: tuple[Path, ...]) -> str:
    """Why the direct source's terminal settings cannot work here ("" when they can)."""
    if terminal_path:
        if not _is_file(Path(terminal_path)):
            return f"There is no terminal at {terminal_path}: give the full path of {EXECUTABLE}."
        return ""
    if portable:
        return f"Portable mode needs the terminal's path (the {EXECUTABLE} in its install folder)."
    if len(found) > 1:
        listed = "; ".join(str(p) for p in found[:4]) + ("…" if len(found) > 4 else "")
        return (f"{len(found)} MetaTrader 5 terminals are installed ({listed}): choose which one FIDUS uses "
                "(the terminal path), or the wrong one may attach.")
    return ""
