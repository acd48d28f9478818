"""PyMongo errors become FIDUS errors here, and nowhere else.

Every message is a sentence for the fund manager; the technical text goes to ``detail``. The
password in the URI must appear in neither, nor in the exception chained as the cause (what a
traceback or a "copy details" button shows), so every text is redacted and a driver exception
whose own text holds a secret is replaced by a redacted stand-in.
"""

from __future__ import annotations

from types import TracebackType

from pymongo.errors import (ConfigurationError, ConnectionFailure, DuplicateKeyError, OperationFailure,
                            PyMongoError, ServerSelectionTimeoutError)

from ...errors import ConflictError, FidusError, StorageUnavailable
from ...logs import redact
from .address import MongoAddress

# Server error codes (src/mongo/base/error_codes.yml in the MongoDB server). Atlas answers a
# wrong password with its own code 8000 and "bad auth : authentication failed", hence the text test.
_AUTHENTICATION_FAILED = 18
_UNAUTHORIZED = 13
# dnspython's wording when a mongodb+srv name cannot be resolved (offline, or a mistyped cluster).
_DNS_HINTS = ("dns query", "dns response", "dns operation", "resolution lifetime", "nameserver",
              "name or service not known")


class RedactedDriverError(Exception):
    """Stands in for a driver exception whose text held a secret: same type name, masked text."""


class ErrorGuard:
    """``with guard:`` around driver calls turns their errors into :class:`FidusError`."""

    handles: tuple[type[Exception], ...] = (PyMongoError,)

    def __init__(self, address: MongoAddress, database: str, timeout_seconds: float) -> None:
        self._address = address
        self._database = database
        self._timeout = timeout_seconds

    def __enter__(self) -> ErrorGuard:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if not isinstance(exc, self.handles):
            return False
        error = self.translate(exc)
        error.__cause__ = self._safe_cause(exc)
        # Python also records the original as __context__; hide it so it is never displayed.
        error.__suppress_context__ = True
        raise error

    def clean(self, text: str) -> str:
        return redact(self._address.redact(text))

    def connecting(self) -> ErrorGuard:
        """The guard for building the client, where PyMongo also raises ``ValueError``/``OSError``."""
        return _ConnectGuard(self._address, self._database, self._timeout)

    def invalid_address(self, why: str, detail: str = "") -> StorageUnavailable:
        return StorageUnavailable(f"The MongoDB address is not valid ({self.clean(why)}). Check it in "
                                  "Settings.", reason="config", detail=detail)

    def translate(self, exc: Exception) -> FidusError:
        detail = self._detail(exc)
        hosts = self._address.hosts
        if not isinstance(exc, PyMongoError):
            return self.invalid_address(str(exc), detail)
        if isinstance(exc, DuplicateKeyError):
            # Only possible where the web platform added a unique index of its own.
            return ConflictError("A record with the same key or unique value already exists in the "
                                 "database.", detail=detail)
        if isinstance(exc, ConfigurationError):
            if _mentions(exc, _DNS_HINTS):
                return StorageUnavailable(f"Cannot find the MongoDB cluster {hosts}: check the internet "
                                          "connection and the cluster address.", reason="unreachable",
                                          detail=detail)
            return self.invalid_address(str(exc), detail)
        if _is_authentication_failure(exc):
            who = f" for user '{self._address.username}'" if self._address.username else ""
            return StorageUnavailable(f"The MongoDB server at {hosts} refused the user name or "
                                      f"password{who}: check them in Settings.", reason="auth_failed",
                                      detail=detail)
        if isinstance(exc, OperationFailure) and exc.code == _UNAUTHORIZED:
            return StorageUnavailable(f"The MongoDB user '{self._address.username}' is not allowed to read "
                                      f"and write the database '{self._database}': ask the database "
                                      "administrator for read-write access.", reason="auth_failed",
                                      detail=detail)
        if isinstance(exc, ServerSelectionTimeoutError):
            # Raised after serverSelectionTimeoutMS whatever the cause (refused, DNS, TLS, down).
            return StorageUnavailable(f"Cannot reach the MongoDB server at {hosts} (no answer within "
                                      f"{self._timeout:g} seconds): check the internet connection or the "
                                      "address.", reason="unreachable", detail=detail)
        if exc.timeout:
            return StorageUnavailable(f"The MongoDB server at {hosts} did not answer in time: the "
                                      "connection may be slow or interrupted. Try again in a moment.",
                                      reason="timeout", detail=detail)
        if isinstance(exc, ConnectionFailure):
            return StorageUnavailable(f"The connection to the MongoDB server at {hosts} was lost: check "
                                      "the internet connection.", reason="unreachable", detail=detail)
        # Anything else the server refused (a failover in progress, a quota, an unexpected
        # server error): nothing was written, and retrying later is the manager's only move.
        return StorageUnavailable(f"The MongoDB server at {hosts} could not complete the request; "
                                  "nothing was changed. Try again in a moment.", reason="unreachable",
                                  detail=detail)

    def _detail(self, exc: Exception) -> str:
        code = getattr(exc, "code", None)
        head = f"{type(exc).__name__}" + (f" (code {code})" if code is not None else "")
        return self.clean(f"{head}: {exc}")

    def _safe_cause(self, exc: Exception) -> BaseException:
        shown = f"{exc}\n{exc!r}\n{getattr(exc, 'details', '')}"
        if self.clean(shown) == shown:
            return exc
        return RedactedDriverError(self._detail(exc))


class _ConnectGuard(ErrorGuard):
    # PyMongo's URI parser raises ValueError for some malformed addresses (a bad port), and
    # OSError when a TLS file the URI names cannot be read.
    handles = (PyMongoError, ValueError, TypeError, OSError)


def _mentions(exc: PyMongoError, hints: tuple[str, ...]) -> bool:
    text = str(exc).lower()
    return any(hint in text for hint in hints)


def _is_authentication_failure(exc: PyMongoError) -> bool:
    if not isinstance(exc, OperationFailure):
        return False
    name = (exc.details or {}).get("codeName", "") if isinstance(exc.details, dict) else ""
    return (exc.code == _AUTHENTICATION_FAILED or name == "AuthenticationFailed"
            or _mentions(exc, ("authentication failed", "bad auth")))
