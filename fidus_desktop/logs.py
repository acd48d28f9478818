"""Logging to a rotating file, with secrets redacted before anything is written.

Two layers: every secret value the app has seen (registered by :mod:`fidus_desktop.secrets`)
is replaced wherever it appears, and well-known shapes are masked even if never registered
(passwords in MongoDB URIs, bearer tokens, API-key headers, OAuth token fields).
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from pathlib import Path
from typing import Any

from .fileio import open_private_append

MASK = "***"

_known: set[str] = set()
_lock = threading.Lock()

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # the password between "user:" and "@host" in a MongoDB URI
    (re.compile(r"(mongodb(?:\+srv)?://[^:/@\s]+:)[^@\s]+(@)"), rf"\g<1>{MASK}\g<2>"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), rf"\g<1>{MASK}"),
    # Quotes may come escaped (\"password\": \"...\"): a document inside a JSON log line, as the
    # MongoDB driver logs command replies at DEBUG level.
    (re.compile(r"(?i)((?:x-api-key|api[_-]?key|password|passwd|secret|access_token|refresh_token|client_secret)"
                r"(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?)[^\s\"',&}\\]+"), rf"\g<1>{MASK}"),
)


def register_secret(value: str) -> None:
    # Very short values would mask ordinary words everywhere; real secrets are longer.
    if value and len(value) >= 6:
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files only their owner can read (0600 on POSIX): even redacted, a
    log names clients, accounts and amounts."""

    def _open(self) -> Any:
        return open_private_append(Path(self.baseFilename), self.encoding or "utf-8", self.errors)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(log_file: Path | None, level: int = logging.INFO) -> None:
    """Rotating file (2 MB x 5) plus stderr for warnings; both pass through the redactor."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_fidus", False):
            root.removeHandler(handler)
            handler.close()
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(PrivateRotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"))
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    handlers.append(console)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._fidus = True  # type: ignore[attr-defined]
        root.addHandler(handler)
