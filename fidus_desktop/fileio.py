"""Files the app writes and reads by hand: atomic replacement that survives Windows, private
permissions, and JSON files a person may have edited. Standard library only, so every layer
(settings, storage, exports, the bridge) can use it.

Windows: ``os.replace`` fails while another process holds the target (or the source) open
without ``FILE_SHARE_DELETE``: antivirus scanners and the search indexer do this for a moment
after every write (WinError 5 access denied, 32 sharing violation, 33 lock violation). Those
errors are retried for a couple of seconds; any other error is raised at once.

Permissions: on POSIX the fund's files are made ``0600`` in ``0700`` folders, because other
local users must not read a fund's clients and amounts. On Windows ``chmod`` only toggles the
read-only flag, so nothing is changed there: the folders the app uses are under the user's
profile (``%LOCALAPPDATA%``), which Windows already restricts to that user, SYSTEM and the
administrators.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION: a scanner or indexer
#: holds the file for a moment; worth waiting for.
TRANSIENT_WINERRORS = frozenset({5, 32, 33})
#: How long a replace keeps retrying a transient Windows error.
REPLACE_TIMEOUT_S = 2.0
_RETRY_PAUSE_S = 0.05

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
#: Enforce POSIX permissions (off on Windows, where the profile's ACLs already do this).
POSIX = os.name == "posix"

#: Hand-edited JSON files larger than this are refused unread (a settings file is a few KB).
MAX_JSON_BYTES = 1_000_000


def is_transient_lock(exc: BaseException) -> bool:
    """A Windows error that means "someone holds this file for a moment"."""
    return isinstance(exc, OSError) and getattr(exc, "winerror", None) in TRANSIENT_WINERRORS


def replace(source: str | os.PathLike[str], target: str | os.PathLike[str], *,
            timeout: float = REPLACE_TIMEOUT_S, sleep: Callable[[float], None] = time.sleep) -> None:
    """``os.replace(source, target)``, retrying transient Windows locks for ``timeout`` seconds.

    The last error is raised when the lock outlasts the timeout (the caller says "close the file
    in the other program"); the source is left where it was.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.replace(source, target)
            return
        except OSError as exc:
            if not is_transient_lock(exc) or time.monotonic() >= deadline:
                raise
        sleep(_RETRY_PAUSE_S)


@contextlib.contextmanager
def atomic_path(path: Path, *, suffix: str = ".part") -> Iterator[Path]:
    """A temporary path next to ``path`` for a writer that wants a file name (a PDF writer, a
    database backup); it replaces ``path`` when the block ends without error, and is removed
    otherwise, so ``path`` is always either the old file or the complete new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, flushed to
    disk, then renamed over the old file. The file is ``0600`` on POSIX (what the app writes
    holds a fund's clients, amounts or settings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        replace(name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise


def atomic_write_text(path: Path, text: str, *, encoding: str = "utf-8", newline: str | None = None) -> None:
    """As :func:`atomic_write_bytes`; ``newline`` as ``open()`` takes it: ``None`` writes each
    "\n" as the platform's line ending (CRLF on Windows), "" or "\n" writes it as it is."""
    if newline is None and os.linesep != "\n":
        text = text.replace("\n", os.linesep)
    atomic_write_bytes(path, text.encode(encoding))


# ---- permissions -------------------------------------------------------------------------


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) and make ``path`` itself ``0700`` on POSIX.

    Only the named folder is tightened: its parents may be shared folders the app does not own.
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if POSIX:
        _tighten(path, PRIVATE_DIR)
    return path


def make_private(path: Path) -> None:
    """``0600`` on POSIX if ``path`` exists (a database, its ``-wal``/``-shm``, a log)."""
    if POSIX:
        with contextlib.suppress(FileNotFoundError):
            _tighten(path, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        try:
            os.chmod(path, mode)
        except PermissionError:
            # Not ours to change (a folder someone else owns): the files inside still are 0600.
            pass


def open_private_append(path: Path, encoding: str = "utf-8", errors: str | None = None) -> Any:
    """A text file opened for appending, created ``0600`` (log files)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    make_private(path)  # an older file created 0644
    return open(fd, "a", encoding=encoding, errors=errors)  # noqa: SIM115 (the caller owns it)


# ---- JSON a person may have edited ----------------------------------------------------------


class JsonFileError(ValueError):
    """A JSON file that cannot be read, with where the problem is (1-based line and column)."""

    def __init__(self, path: Path, reason: str, line: int | None = None, column: int | None = None) -> None:
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"{path.name}{where}: {reason}")
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column


#: Said with an "Invalid \escape" error: the usual cause is a Windows path typed by hand.
BACKSLASH_HINT = ('a single backslash starts an escape in JSON: write Windows paths with "/" '
                  '(C:/Program Files/...) or double each backslash (C:\\\\Program Files\\\\...)')


def read_json_file(path: Path, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The JSON value in ``path``: UTF-8 with or without a byte-order mark (Notepad on Windows
    Server 2016/2019 writes one), or UTF-16 with its mark (Notepad's "Unicode").

    Raises :class:`JsonFileError` with the line and column of a syntax error (and what to do
    about a backslash), for a file too large or nested too deeply, or not UTF-8; ``OSError``
    when the file cannot be read at all.
    """
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise JsonFileError(path, f"the file is larger than {max_bytes:,} bytes; it cannot be a file "
                                  "FIDUS Desktop wrote")
    # Notepad's "Unicode" is UTF-16 with a byte-order mark: read it too, by its mark.
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[:exc.start].decode(encoding, "replace")
        line, column = _position(before, len(before))
        raise JsonFileError(path, "the file is not UTF-8 text (save it as UTF-8)", line, column) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = exc.msg
        if "escape" in reason.lower():
            reason = f"{reason}: {BACKSLASH_HINT}"
        raise JsonFileError(path, reason, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonFileError(path, "the JSON is nested too deeply") from None
    except ValueError as exc:  # a number beyond Python's limits (more than 4,300 digits)
        raise JsonFileError(path, f"a value cannot be read ({exc})") from None


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1
