"""Files the manager exports (CSV and PDF): what Excel opens right, and what never breaks on a
file that is open elsewhere. One helper for every export (the payment calendar, statements,
later the CRM).

* **CSV for Excel.** UTF-8 with a byte-order mark by default: without it Excel reads UTF-8 as the
  ANSI code page and shows "JosÃ©". Columns are separated by this computer's *list separator*
  (Windows: Control Panel > Region, ``sList``; ';' where the decimal sign is a comma), which is
  what Excel splits on when a CSV is double-clicked; amounts then use the decimal sign of the
  same settings. Both can be chosen in the settings (``exports``).
* **A target open elsewhere.** Excel and Acrobat open files without letting others replace them:
  ``os.replace`` then fails with WinError 5 or 32 (``PermissionError``). That becomes
  :class:`FileInUse`, a sentence with what to do ("close it in the other program, or save under
  another name"); the window offers Retry. The export is written to a temporary ``.part`` file
  beside the target first and that file is removed whatever happens, so a failed export leaves
  the old file as it was and nothing else.
* **Names.** NTFS and APFS ignore case: two exports whose names differ only in case would
  overwrite each other, so :func:`unique_name` compares without case.
* **Folders.** File dialogs open in the last folder used, else Documents (never the working
  directory, which is Program Files when the app starts from a shortcut).
"""

from __future__ import annotations

import contextlib
import csv
import io
import locale
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .config import ExportSettings
from .errors import FidusError

from . import fileio

log = logging.getLogger(__name__)

#: ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION (and EACCES, 13, which
#: Python gives for the first two).
LOCKED_WINERRORS = frozenset({5, 32, 33})
SEPARATORS: Mapping[str, str | None] = {"locale": None, ",": ",", ";": ";", "tab": "\t"}


class FileInUse(FidusError):
    """The target is open in another program (or read-only): close it there, or choose another name."""

    code = "file_in_use"

    def __init__(self, path: Path) -> None:
        super().__init__(f"\u201c{path.name}\u201d is open in another program (Excel, Acrobat…) or is read-only, "
                         "so it cannot be replaced. Close it in the other program and press Retry, or save "
                         "under another name.", detail=str(path))
        self.path = path


class FolderNotWritable(FidusError):
    code = "folder_not_writable"

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(f"FIDUS Desktop cannot write in {folder} ({reason}): choose another folder.",
                         detail=str(folder))
        self.path = folder


def is_locked(exc: BaseException) -> bool:
    """A Windows "someone holds this file" error (on any platform: a plain permission error)."""
    return isinstance(exc, PermissionError) or getattr(exc, "winerror", None) in LOCKED_WINERRORS


# ---- writing ------------------------------------------------------------------------------------


def write_with(path: Path, writer: Callable[[Path], None]) -> Path:
    """Have ``writer`` write a temporary file beside ``path``, then put it in ``path``'s place
    (:func:`fidus_desktop.fileio.replace`: an antivirus's or indexer's brief lock is waited out).

    Raises :class:`FileInUse` when ``path`` stays locked (open in Excel or Acrobat),
    :class:`FolderNotWritable` when nothing can be written there; in every case the temporary
    file is gone afterwards.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.stem[:40]}-", suffix=".part", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise FolderNotWritable(folder, exc.strerror or type(exc).__name__) from exc
    temporary = Path(name)
    try:
        writer(temporary)
        try:
            fileio.replace(temporary, path)
        except OSError as exc:
            if is_locked(exc):
                log.info("export target in use: %s (%s)", path, exc)
                raise FileInUse(path) from exc
            raise
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    def write(temporary: Path) -> None:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    return write_with(path, write)


# ---- CSV ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocaleNumbers:
    list_separator: str = ","
    decimal: str = "."


def _windows_international() -> dict[str, str]:
    import winreg  # Windows only

    values = {}
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, r"Control Panel\International") as key:
        for name in ("sList", "sDecimal"):
            with contextlib.suppress(OSError):
                values[name] = str(winreg.QueryValueEx(key, name)[0])
    return values


def system_numbers(*, platform: str = sys.platform,
                   read_international: Callable[[], Mapping[str, str]] = _windows_international,
                   localeconv: Callable[[], Mapping[str, Any]] = locale.localeconv) -> LocaleNumbers:
    """This computer's list separator and decimal sign (Windows: the Region settings; elsewhere
    the C library's locale, which the window sets from the environment at start)."""
    separator, decimal = "", ""
    if platform == "win32":
        try:
            values = read_international()
            separator, decimal = values.get("sList", ""), values.get("sDecimal", "")
        except OSError as exc:
            log.info("regional settings not readable: %s", exc)
    if not decimal:
        decimal = str(localeconv().get("decimal_point") or ".")
    if not separator:
        separator = ";" if decimal == "," else ","
    # The csv module takes one character; a separator equal to the decimal sign would be ambiguous.
    if len(separator) != 1 or separator in ('"', "\r", "\n"):
        separator = ","
    if len(decimal) != 1 or decimal == separator:
        decimal = "." if separator != "." else ","
    return LocaleNumbers(separator, decimal)


@dataclass(frozen=True, slots=True)
class CsvFormat:
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    decimal: str = "."

    def amount(self, value: Decimal) -> str:
        """Two decimals, no thousands separator, with this format's decimal sign."""
        text = f"{value:.2f}"
        return text if self.decimal == "." else text.replace(".", self.decimal)

    def number(self, value: Decimal) -> str:
        """A decimal as it is (a rate: 0.025), with this format's decimal sign."""
        text = str(value)
        return text if self.decimal == "." else text.replace(".", self.decimal)

    def text(self, rows: Iterable[Sequence[object]]) -> str:
        out = io.StringIO()
        # CRLF: what Excel and Notepad expect; the csv module quotes any field with the delimiter.
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator="\r\n")
        writer.writerows(rows)
        return out.getvalue()

    def encode(self, text: str) -> bytes:
        # Windows-1252 lacks most of Unicode: those characters become '?' rather than failing.
        return text.encode(self.encoding, errors="replace" if self.encoding == "cp1252" else "strict")

    @property
    def extension(self) -> str:
        return "csv" if self.delimiter != "\t" else "txt"


def csv_format(settings: ExportSettings, numbers: LocaleNumbers | None = None) -> CsvFormat:
    """The format the manager chose (the locale's separator unless told otherwise)."""
    chosen = SEPARATORS.get(settings.csv_separator)
    numbers = numbers or system_numbers()
    delimiter = chosen or numbers.list_separator
    decimal = numbers.decimal if numbers.decimal != delimiter else ("." if delimiter != "." else ",")
    return CsvFormat(settings.csv_encoding, delimiter, decimal)


def write_csv(path: Path, rows: Iterable[Sequence[object]], fmt: CsvFormat) -> Path:
    return write_bytes(path, fmt.encode(fmt.text(rows)))


# ---- names and folders -------------------------------------------------------------------------


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``stem (2).ext``…, unlike every name in ``taken`` regardless of case; the
    name returned is added to ``taken`` (which holds case-folded names)."""
    stem, dot, extension = name.rpartition(".") if "." in name else (name, "", "")
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate = f"{stem} ({n}){dot}{extension}"
        n += 1
    taken.add(candidate.casefold())
    return candidate


def documents_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_documents_dir())


def start_folder(last_folder: str) -> Path:
    """Where a file dialog opens: the last folder used if it still exists, else Documents."""
    for candidate in (Path(last_folder) if last_folder else None, documents_folder(), Path.home()):
        if candidate is not None and candidate.is_dir():
            return candidate
    return Path.home()
