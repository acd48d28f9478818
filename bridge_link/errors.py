"""The one error type of ``bridge_link``: every way to reach MT5 fails with :class:`BridgeError`.

Adapters translate what they meet (``last_error()`` codes, httpx exceptions, bad JSON) into a
reason code here, so the app decides what to show (offline, re-enter the password, stale data)
from ``reason`` alone and never catches ``httpx`` or reads MT5 error numbers.
"""

from __future__ import annotations

import enum

from fidus_desktop.errors import FidusError


class ErrorReason(enum.StrEnum):
    NOT_CONNECTED = "not_connected"
    AUTH_FAILED = "auth_failed"
    TIMEOUT = "timeout"
    #: The answer could not be trusted: malformed, wrong account, or the terminal refused the call.
    BAD_DATA = "bad_data"
    NOT_FOUND = "not_found"


class BridgeError(FidusError):
    code = "bridge"

    def __init__(self, reason: ErrorReason | str, message: str, *, detail: str = "", source: str = "") -> None:
        super().__init__(message, detail=detail)
        self.reason = ErrorReason(reason)
        #: Which source failed ("direct terminal", "bridge vps-1"), for the status line.
        self.source = source

    @property
    def worth_failover(self) -> bool:
        """Another source may succeed; a clean "not found" answer would be the same everywhere."""
        return self.reason is not ErrorReason.NOT_FOUND

    def __repr__(self) -> str:
        return f"BridgeError({self.reason.value!r}, {self.message!r}, source={self.source!r})"


# MetaTrader5 ``last_error()`` codes (mt5-api.md §7) -> our reasons.
_MT5_REASONS: dict[int, ErrorReason] = {
    -4: ErrorReason.NOT_FOUND,
    -5: ErrorReason.NOT_CONNECTED,  # terminal and package versions incompatible: unusable terminal
    -6: ErrorReason.AUTH_FAILED,
    -10000: ErrorReason.NOT_CONNECTED,
    -10001: ErrorReason.NOT_CONNECTED,
    -10002: ErrorReason.NOT_CONNECTED,
    -10003: ErrorReason.NOT_CONNECTED,
    -10004: ErrorReason.NOT_CONNECTED,
    -10005: ErrorReason.TIMEOUT,
}

#: Codes after which the IPC link must be rebuilt (shutdown, then initialize again).
IPC_LOST_CODES = frozenset({-10000, -10001, -10002, -10003, -10004, -10005})


def from_last_error(code: int, message: str, *, action: str, source: str = "") -> BridgeError:
    """A :class:`BridgeError` for a failed MetaTrader5 call; ``action`` says what we were doing."""
    reason = _MT5_REASONS.get(code, ErrorReason.BAD_DATA)
    text = {
        ErrorReason.NOT_CONNECTED: f"The MT5 terminal is not reachable ({action}).",
        ErrorReason.AUTH_FAILED: f"The MT5 terminal refused the login ({action}).",
        ErrorReason.TIMEOUT: f"The MT5 terminal did not answer in time ({action}).",
        ErrorReason.NOT_FOUND: f"MT5 has no such item ({action}).",
        ErrorReason.BAD_DATA: f"The MT5 terminal could not do this ({action}).",
    }[reason]
    # The terminal's own messages carry no secrets (codes and fixed texts).
    return BridgeError(reason, text, detail=f"last_error=({code}, {message!r})", source=source)
