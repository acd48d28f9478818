"""The one error family of the FIDUS core.

Adapters (storage drivers, HTTP, Google) translate their own exceptions into these at the
boundary, so widgets and the CLI never catch ``pymongo`` or ``httpx`` errors. Every message is
written for the fund manager and must never contain a secret (passwords, tokens, keys).
"""

from __future__ import annotations

from collections.abc import Mapping


class FidusError(Exception):
    """Base class: ``str(error)`` is a sentence the manager can read."""

    #: Stable short code for logs, tests and scripts.
    code = "error"

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        #: Technical detail for "copy details" (already redacted by whoever raises).
        self.detail = detail


class UserCancelled(FidusError):
    """The user backed out; unwind silently."""

    code = "cancelled"

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


class ValidationError(FidusError):
    """Input the rules refuse. ``fields`` maps a field name to the reason, for inline display."""

    code = "invalid"

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class NotFoundError(FidusError):
    code = "not_found"


class ConflictError(FidusError):
    """Someone else (the web platform, another window) changed the record since it was read."""

    code = "conflict"

    def __init__(self, message: str, *, detail: str = "",
                 fields: Mapping[str, tuple[object, object, object]] | None = None) -> None:
        super().__init__(message, detail=detail)
        #: Field -> (value when read, theirs now, mine), for a field-by-field merge view.
        self.fields = dict(fields or {})


class StorageUnavailable(FidusError):
    """The database cannot be reached, refused our credentials or timed out."""

    code = "storage_unavailable"

    def __init__(self, message: str, *, reason: str = "unreachable", detail: str = "") -> None:
        super().__init__(message, detail=detail)
        #: ``unreachable`` | ``auth_failed`` | ``timeout`` | ``config``
        self.reason = reason


class StorageCorrupt(FidusError):
    """A stored value cannot be understood (not the same as a missing optional field)."""

    code = "storage_corrupt"


class SecretStoreUnavailable(FidusError):
    """The OS keyring refused a read or a write (locked, full, or its service is not running)."""

    code = "no_keyring"


class ConfigError(FidusError):
    code = "config"
