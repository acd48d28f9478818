"""What can go wrong with Google, as errors the manager can read.

Every Google exception (``HttpError``, ``RefreshError``, httplib2 and socket errors) is turned
into one of these at the client layer, so views and commands never catch a library's types.
Messages never hold a token, a code or the client secret.
"""

from __future__ import annotations

from ..errors import FidusError


class GoogleError(FidusError):
    code = "google"


class GoogleNotConnected(GoogleError):
    """No Google account is connected on this computer (or no client file was given)."""

    code = "google_not_connected"


class ReconnectNeeded(GoogleError):
    """Google no longer accepts the saved sign-in (``invalid_grant``: consent revoked, password
    changed, six months unused, or the 7-day limit of an app still in testing mode). The only
    fix is to connect again; whatever the manager was doing must be kept meanwhile."""

    code = "google_reconnect"

    def __init__(self, message: str = ("Google no longer accepts FIDUS's sign-in (it was revoked or "
                                       "has expired). Connect the Google account again."),
                 *, detail: str = "") -> None:
        super().__init__(message, detail=detail)


class ClientFileError(GoogleError):
    """The OAuth client file is missing, unreadable or not a "Desktop app" client."""

    code = "google_client_file"


class ConsentError(GoogleError):
    """The browser sign-in did not complete: refused, answered badly, or the exchange failed."""

    code = "google_consent"


class ConsentTimeout(ConsentError):
    code = "google_consent_timeout"


class GoogleApiError(GoogleError):
    """Google answered with an error that retrying will not fix (or retries ran out)."""

    code = "google_api"

    def __init__(self, message: str, *, status: int, reason: str = "", api: str = "",
                 detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.status = status
        #: Google's machine reason (``notFound``, ``insufficientPermissions``, ``rateLimitExceeded``...).
        self.reason = reason
        self.api = api


class GoogleNotFound(GoogleApiError):
    code = "google_not_found"


class GoogleGone(GoogleApiError):
    """410: a sync token Google no longer honours; the caller runs a full sync."""

    code = "google_gone"


class GoogleUnavailable(GoogleError):
    """Google could not be reached, or kept failing (5xx, rate limits) past the retries.

    ``outcome_unknown`` is true when a request that changes something (a send, an insert) may
    have reached Google before the connection failed: it must not be repeated blindly.
    """

    code = "google_unavailable"

    def __init__(self, message: str, *, outcome_unknown: bool = False, retry_after: float | None = None,
                 detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.outcome_unknown = outcome_unknown
        self.retry_after = retry_after
