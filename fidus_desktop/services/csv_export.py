"""CSV for spreadsheets, written in one place so every export reads the same and the way it is
written can be changed once (Excel-friendly dialects, encodings).

Plain CSV: comma-separated, ISO dates, amounts as decimal strings with no thousands separator,
UTF-8. Written next to the target and renamed over it, so a half-written file never carries the
real name (a crash, a full disk, Excel holding the old file open on Windows).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def write_csv(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically; returns ``path``."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)
    return path
