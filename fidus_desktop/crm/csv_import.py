"""Prospects from a CSV file: read whatever a spreadsheet wrote, preview every row, then write all
good rows in one operation.

Reading: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text"), else
Windows-1252 (Excel's "CSV" on a Western Windows); comma, semicolon or tab separators, found
from the file; the first row is the header, mapped to fields by name (editable). Bounded:
files over :data:`MAX_BYTES`, more than :data:`MAX_ROWS` rows or :data:`MAX_COLUMNS` columns,
and cells over :data:`MAX_CELL` characters are refused with the reason, never read whole.

Every row ends as ``ok`` (it would be imported), ``refused`` (with each field's reason) or
``duplicate`` (of which record, or of which earlier row of the same file). Nothing is written
until :func:`commit`, which writes the good rows as one unit with one timeline entry.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Literal

from ..domain.contact import clean_text
from ..domain.prospects import Prospect, Stage
from ..domain.values import utc_now
from ..errors import UserCancelled, ValidationError
from ..lanes import shared_lanes
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..storage.writes import Insert
from .duplicates import DuplicateIndex, Party
from .prospects import FLAGS, ProspectDraft, draft_problems, prospect_from_draft, store_of
from .timeline import EventKind

if TYPE_CHECKING:
    from ..app_context import AppContext

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL = 20_000
#: The fields a column can be mapped to, with the header names each is guessed from.
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "fullname", "nombre", "contact", "contact name", "client", "prospect"),
    "first_name": ("first name", "firstname", "first", "given name", "nombre de pila"),
    "last_name": ("last name", "lastname", "surname", "family name", "apellido", "apellidos"),
    "email": ("email", "e-mail", "mail", "email address", "e-mail address", "correo", "correo electronico"),
    "phone": ("phone", "telephone", "tel", "mobile", "cell", "phone number", "telefono", "whatsapp"),
    "stage": ("stage", "pipeline stage", "status", "etapa"),
    "source": ("source", "lead source", "origin", "fuente", "origen"),
    "owner": ("owner", "assigned to", "salesperson", "account manager", "responsable"),
    "estimated_value": ("estimated value", "value", "amount", "prospective value", "investment", "monto"),
    "notes": ("notes", "note", "comments", "comment", "description", "notas"),
    "next_action": ("next action", "next step", "todo", "follow up", "siguiente paso"),
    "next_action_due": ("due", "due date", "next action due", "follow up date", "fecha"),
}
FIELD_TITLES = {"name": "Name", "first_name": "First name", "last_name": "Last name", "email": "E-mail",
                "phone": "Phone", "stage": "Stage", "source": "Source", "owner": "Owner",
                "estimated_value": "Prospective value", "notes": "Notes", "next_action": "Next action",
                "next_action_due": "Due date"}
_STAGE_WORDS = {"negotiation/proposal": Stage.NEGOTIATION, "qualified_lead": Stage.QUALIFIED, "new": Stage.LEAD,
                "closed won": Stage.WON, "closed lost": Stage.LOST}

Progress = Callable[[float, str], None]
Status = Literal["ok", "refused", "duplicate"]


@dataclass(frozen=True, slots=True)
class CsvFile:
    name: str
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    #: ``(line number in the file, cells)`` of each data row.
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    #: What could not be read, for the whole file ("from line 812 on: ...").
    problems: tuple[str, ...] = ()

    @property
    def delimiter_name(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab"}.get(self.delimiter, repr(self.delimiter))


@dataclass(frozen=True, slots=True)
class ImportRow:
    line: int
    values: Mapping[str, str]
    status: Status
    draft: ProspectDraft | None = None
    problems: Mapping[str, str] = field(default_factory=dict)
    duplicate_of: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        if self.status == "refused":
            return " ".join(self.problems.values())
        if self.status == "duplicate":
            return "; ".join(self.duplicate_of)
        return ""


@dataclass(frozen=True, slots=True)
class ImportPreview:
    file: CsvFile
    mapping: Mapping[int, str]
    rows: tuple[ImportRow, ...]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def to_import(self, include_duplicates: bool = False) -> list[ImportRow]:
        wanted = ("ok", "duplicate") if include_duplicates else ("ok",)
        return [r for r in self.rows if r.status in wanted and r.draft is not None]


# ---- reading the file ------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding name)`` of a CSV file's bytes."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    if b"\x00" in data[:4096]:
        raise ValidationError("This is not a text CSV file (it holds binary data).", {"file": "Not a CSV file."})
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        # Not UTF-8: a Western Windows spreadsheet's "CSV" is Windows-1252. Its five unused
        # bytes become U+FFFD rather than an error.
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max((",", ";", "\t"), key=first.count)


def read_csv(data: bytes, name: str = "") -> CsvFile:
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is {len(data) / 1e6:.0f} MB; FIDUS imports files up to "
                              f"{MAX_BYTES // 1_000_000} MB. Split it.", {"file": "Too large."})
    text, encoding = decode(data)
    text = text.replace("\x00", "")
    if not text.strip():
        raise ValidationError("The file is empty.", {"file": "Empty."})
    delimiter = _delimiter(text[:20_000])
    problems: list[str] = []
    rows: list[tuple[int, tuple[str, ...]]] = []
    header: tuple[str, ...] = ()
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, delimiter=delimiter)
    previous = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL)
    try:
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.append(f"From line {line} on the file could not be read ({exc}); the rows before it are "
                                "shown.")
                break
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) > MAX_COLUMNS:
                problems.append(f"Line {line} has {len(cells)} columns; at most {MAX_COLUMNS} are read.")
                cells = cells[:MAX_COLUMNS]
            if not header:
                header = tuple(clean_text(c).lstrip("\ufeff") for c in cells)
                continue
            if len(rows) >= MAX_ROWS:
                problems.append(f"Only the first {MAX_ROWS:,} rows are read; the rest of the file is left out.")
                break
            rows.append((line, tuple(cells)))
    finally:
        csv.field_size_limit(previous)
    if not header:
        raise ValidationError("The file has no header row.", {"file": "No header."})
    return CsvFile(name, encoding, delimiter, header, tuple(rows), tuple(problems))


def _normal(header: str) -> str:
    """``E-Mail:`` -> ``e mail``, ``Teléfono`` -> ``telefono``: how header names are compared."""
    text = unicodedata.normalize("NFKD", clean_text(header).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("_", " ").replace("-", " ")
    return re.sub(r"\s+", " ", text).strip(" :*.")


_ALIASES = {_normal(alias): target for target, aliases in FIELDS.items() for alias in aliases}


def guess_mapping(header: Sequence[str]) -> dict[int, str]:
    """Column index -> field, from the header names; each field taken once, first column wins."""
    names = _ALIASES
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for i, title in enumerate(header):
        target = names.get(_normal(title))
        if target is not None and target not in taken:
            mapping[i] = target
            taken.add(target)
    return mapping


# ---- checking the rows ---------------------------------------------------------------------------


def cell_text(value: str) -> str:
    """A cell as data: an apostrophe our export put before a formula-looking value is dropped."""
    text = clean_text(value)
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def _stage(text: str) -> Stage | None:
    word = text.strip().casefold()
    if not word:
        return Stage.LEAD
    if word in _STAGE_WORDS:
        return _STAGE_WORDS[word]
    return next((s for s in Stage if s.value == word or s.label.casefold() == word), None)


def _due(text: str) -> datetime | None:
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(9), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"'{value[:30]}' is not a date (YYYY-MM-DD).") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check_row(line: int, cells: Sequence[str], mapping: Mapping[int, str]) -> tuple[dict[str, str], ProspectDraft | None,
                                                                                     dict[str, str]]:
    """The row's mapped values, its draft (``None`` when refused) and the reasons."""
    values: dict[str, str] = {}
    for index, target in mapping.items():
        if index < len(cells):
            values[target] = cell_text(cells[index])
    if not values.get("name") and (values.get("first_name") or values.get("last_name")):
        values["name"] = " ".join(v for v in (values.get("first_name", ""), values.get("last_name", "")) if v)
    problems: dict[str, str] = {}
    stage = _stage(values.get("stage", ""))
    if stage is None:
        problems["stage"] = (f"Unknown stage '{values['stage'][:30]}' (one of "
                             f"{', '.join(s.value for s in Stage)}).")
    due = None
    if values.get("next_action_due"):
        try:
            due = _due(values["next_action_due"])
        except ValueError as exc:
            problems["next_action_due"] = str(exc)
    draft = ProspectDraft(name=values.get("name", ""), email=values.get("email", ""), phone=values.get("phone", ""),
                          stage=stage or Stage.LEAD, source=values.get("source", ""), owner=values.get("owner", ""),
                          estimated_value=values.get("estimated_value", ""), notes=values.get("notes", ""),
                          next_action=values.get("next_action", ""), next_action_due=due,
                          origin={"imported_line": line})
    problems.update({k: v for k, v in draft_problems(draft).items() if k not in problems})
    return values, (None if problems else draft), problems


def preview(file: CsvFile, mapping: Mapping[int, str], duplicates: DuplicateIndex | None = None, *,
            progress: Progress | None = None) -> ImportPreview:
    """Every row checked against the rules, the store's records and the file's earlier rows."""
    missing = {"name", "email", "phone"} - set(mapping.values())
    if "name" in missing and {"first_name", "last_name"} & set(mapping.values()):
        missing.discard("name")
    if missing:
        titles = ", ".join(FIELD_TITLES[m] for m in sorted(missing))
        raise ValidationError(f"Map a column to: {titles} (required).", {"mapping": f"Required: {titles}."})
    seen = DuplicateIndex()
    out: list[ImportRow] = []
    total = len(file.rows) or 1
    for n, (line, cells) in enumerate(file.rows):
        if progress is not None and n % 500 == 0:
            progress(n / total, f"Checking row {n + 1:,} of {total:,}…")
        values, draft, problems = check_row(line, cells, mapping)
        if draft is None:
            out.append(ImportRow(line, values, "refused", None, problems))
            continue
        found = (duplicates.find(draft.email, draft.phone) if duplicates is not None else []) + \
            seen.find(draft.email, draft.phone)
        seen.add(Party(f"line {line}", "row", draft.name, draft.email, draft.phone))
        if found:
            described = tuple(f"line {d.party.key.split()[-1]} of this file ({'/'.join(d.on)})" if d.party.kind == "row"
                              else d.describe() for d in found)
            out.append(ImportRow(line, values, "duplicate", draft, {}, described))
        else:
            out.append(ImportRow(line, values, "ok", draft))
    if progress is not None:
        progress(1.0, "Checked.")
    return ImportPreview(file, dict(mapping), tuple(out))


# ---- writing ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    imported: tuple[tuple[int, str], ...]
    """``(line, prospect_id)`` of each row written."""
    result: WriteResult | None


def import_operation(context: AppContext, rows: Sequence[ImportRow], file_name: str, *,
                     progress: Progress | None = None, cancelled: Callable[[], bool] = lambda: False
                     ) -> tuple[Operation, list[tuple[int, str]]]:
    store = store_of(context)
    now = utc_now()
    writes, imported = [], []
    for n, row in enumerate(rows):
        if cancelled():
            raise UserCancelled()
        if progress is not None and n % 1000 == 0:
            progress(n / max(1, len(rows)), f"Preparing row {n + 1:,} of {len(rows):,}…")
        assert row.draft is not None
        prospect: Prospect = prospect_from_draft(row.draft, str(uuid.uuid4())).evolve(created_at=now)
        writes.append(Insert("crm_prospects", store.prospects.new_document(prospect, now)))
        imported.append((row.line, prospect.prospect_id))
    summary = f"{len(imported):,} prospect(s) imported from {file_name or 'a CSV file'}"
    op = Operation("prospect.import", tuple(writes), Audit(
        activity_type=str(EventKind.IMPORT), description=summary,
        details={"file": file_name, "imported": len(imported), "first": imported[0][1] if imported else "",
                 "lines": [line for line, _ in imported[:1000]]}), flags=FLAGS)
    return op, imported


async def commit(context: AppContext, preview_: ImportPreview, *, include_duplicates: bool = False,
                 progress: Progress | None = None) -> ImportOutcome:
    """Write the good rows (and the duplicates, if the manager said so) as one unit."""
    rows = preview_.to_import(include_duplicates)
    if not rows:
        return ImportOutcome((), None)
    # 10,000 documents built and encoded: in the cpu lane, not on the loop's thread (the window
    # froze a second building them there).
    op, imported = await shared_lanes().cpu.run(
        lambda: import_operation(context, rows, preview_.file.name, progress=progress), action="CSV import: rows")
    if progress is not None:
        progress(0.9, f"Writing {len(imported):,} prospects…")
    result = await context.writer.submit(op)
    return ImportOutcome(tuple(imported), result)
