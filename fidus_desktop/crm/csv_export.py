"""The current pipeline selection as a CSV file a spreadsheet opens safely.

UTF-8 with a byte-order mark (so Excel reads accents right), comma-separated, CRLF. A cell a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return: "CSV injection") is written as text, behind an apostrophe; the import drops that
apostrophe again, so an exported file imports back to the same values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from ..errors import UserCancelled
from .index import PipelineRow, PipelineSnapshot

COLUMNS = ("prospect_id", "name", "email", "phone", "stage", "source", "owner", "aml_kyc_status", "estimated_value",
           "next_action", "next_action_due", "created_at", "updated_at", "portal_lead", "notes")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[float, str], None]


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it, never evaluates it."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def row_cells(row: PipelineRow, notes: str) -> list[str]:
    def moment(value: object) -> str:
        return value.isoformat() if value is not None else ""  # type: ignore[attr-defined]

    text = [row.key, row.name, row.email, row.phone, row.stage.value, row.source, row.owner, row.kyc.value]
    value = "" if row.value is None else f"{row.value:.2f}"
    return [safe_cell(t) for t in text] + [value, safe_cell(row.next_action), moment(row.due), moment(row.created),
                                           moment(row.updated), "yes" if row.is_lead else "no", safe_cell(notes)]


def export_rows(snapshot: PipelineSnapshot, slots: np.ndarray | Iterable[int]) -> Iterable[list[str]]:
    for slot in slots:
        s = int(slot)
        yield row_cells(snapshot.row(s), snapshot.notes(s))


def write_csv(path: Path, snapshot: PipelineSnapshot, slots: np.ndarray, *, progress: Progress | None = None,
              cancelled: Callable[[], bool] = lambda: False) -> int:
    """Write the rows of ``slots`` to ``path`` (atomically: a partial file never replaces a good
    one); returns how many were written."""
    tmp = path.with_name(path.name + ".partial")
    total = len(slots)
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(COLUMNS)
            for n, cells in enumerate(export_rows(snapshot, slots)):
                if n % 2000 == 0:
                    if cancelled():
                        raise UserCancelled()
                    if progress is not None:
                        progress(n / max(1, total), f"Writing row {n + 1:,} of {total:,}…")
                writer.writerow(cells)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return total


def csv_text(snapshot: PipelineSnapshot, slots: np.ndarray) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(export_rows(snapshot, slots))
    return out.getvalue()
