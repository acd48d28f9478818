"""The installed-app sign-in, driven on the event loop.

google-auth-oauthlib's ``Flow`` builds the consent URL and exchanges the code; everything around
it is ours, because its own ``run_local_server`` blocks, takes whatever request comes first and
cannot be cancelled:

- PKCE with S256: ``autogenerate_code_verifier=True`` is passed explicitly (older releases leave
  PKCE off otherwise), and the verifier goes with the exchange;
- ``state``: 32 random bytes made here and compared by the listener (``fetch_token(code=...)``
  would not check it);
- the system browser is opened through an injectable opener, and the URL is also handed to the
  caller (the command line prints it);
- a timeout and :meth:`ConsentFlow.cancel` both close the listener at once; so does cancelling
  the task that awaits :meth:`ConsentFlow.run`.

The exchange (blocking ``requests``) runs through ``run_blocking``, the core's I/O lane.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

from ..errors import UserCancelled
from ..logs import register_secret
from .client_file import SCOPES, OAuthClient
from .errors import ConsentError, ConsentTimeout, GoogleUnavailable
from .loopback import LoopbackReceiver
from .transport import RunBlocking

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    """What the token endpoint gave. Never printed or logged (all of it is registered secret)."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None
    scopes: tuple[str, ...]


def _register_all_forms(value: str) -> None:
    """The value, and the URL-encoded forms the libraries log it in (``4/0Ab`` as ``4%2F0Ab``)."""
    for form in {value, quote(value, safe=""), quote_plus(value)}:
        register_secret(form)


def _flow_class() -> Any:
    from google_auth_oauthlib.flow import Flow

    return Flow


def _system_browser(url: str) -> bool:
    return webbrowser.open(url, new=1, autoraise=True)


class ConsentFlow:
    def __init__(self, client: OAuthClient, *, run_blocking: RunBlocking,
                 open_browser: Callable[[str], Any] | None = None, timeout: float = 300.0,
                 ca_certs: str | None = None, request_timeout: float = 30.0,
                 scopes: Sequence[str] = SCOPES, login_hint: str = "") -> None:
        self._client = client
        self._run_blocking = run_blocking
        self._open_browser = open_browser
        self._timeout = timeout
        self._ca_certs = ca_certs
        self._request_timeout = request_timeout
        self._scopes = list(scopes)
        self._login_hint = login_hint
        self._cancelled: asyncio.Event | None = None
        self._cancel_requested = False
        #: The listener of the running sign-in (tests look at it; ``None`` before and after).
        self.receiver: LoopbackReceiver | None = None

    def cancel(self) -> None:
        """Stop waiting for the browser (the Cancel button): :meth:`run` raises ``UserCancelled``."""
        self._cancel_requested = True
        if self._cancelled is not None:
            self._cancelled.set()

    async def run(self, on_url: Callable[[str], None] | None = None) -> TokenAnswer:
        # Importing the OAuth stack (requests, oauthlib) takes up to a second: not on the loop.
        Flow = await self._run_blocking(_flow_class)  # noqa: N806 (a class)
        self._cancelled = asyncio.Event()
        if self._cancel_requested:
            raise UserCancelled("Google sign-in cancelled.")
        state = secrets.token_urlsafe(32)
        register_secret(state)
        receiver = LoopbackReceiver(state)
        await receiver.start()
        self.receiver = receiver
        try:
            flow = Flow.from_client_config(self._client.flow_config(), scopes=self._scopes,
                                           redirect_uri=receiver.redirect_uri, autogenerate_code_verifier=True)
            extra = {"login_hint": self._login_hint} if self._login_hint else {}
            # prompt=consent: Google gives a refresh token with every consent screen.
            url, _ = flow.authorization_url(state=state, access_type="offline", prompt="consent", **extra)
            if not flow.code_verifier:  # never send a sign-in without PKCE
                raise ConsentError("The sign-in could not be prepared (no PKCE verifier).")
            _register_all_forms(flow.code_verifier)
            if on_url is not None:
                on_url(url)
            await self._open(url)
            code = await self._wait(receiver)
        finally:
            await receiver.close()
            self.receiver = None
        _register_all_forms(code)
        return await self._exchange(flow, code)

    async def _open(self, url: str) -> None:
        try:
            opener = self._open_browser or _system_browser  # looked up now: replaceable in tests
            await self._run_blocking(lambda: opener(url))
        except Exception as exc:  # no browser: the caller has the URL to open by hand
            log.warning("the browser could not be opened: %s", type(exc).__name__)

    async def _wait(self, receiver: LoopbackReceiver) -> str:
        assert self._cancelled is not None
        answer = asyncio.ensure_future(receiver.answer())
        cancelled = asyncio.ensure_future(self._cancelled.wait())
        try:
            done, _ = await asyncio.wait({answer, cancelled}, timeout=self._timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (answer, cancelled):
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(answer, cancelled, return_exceptions=True)
        if cancelled in done:
            raise UserCancelled("Google sign-in cancelled.")
        if answer not in done:
            raise ConsentTimeout(f"Google sign-in timed out after {self._timeout:.0f} s without an answer from "
                                 "the browser. Start again when ready.")
        result = answer.result()
        if result.error:
            if result.error == "access_denied":
                raise ConsentError("Access was not granted in the browser, so no Google account is connected.")
            raise ConsentError(f"Google did not complete the sign-in ({result.error[:60]}).")
        return result.code

    async def _exchange(self, flow: Any, code: str) -> TokenAnswer:
        from oauthlib.oauth2.rfc6749.errors import OAuth2Error
        from requests import RequestException

        def blocking() -> dict[str, Any]:
            try:
                # include_client_id: the client id and secret go in the form body as Google
                # documents, not in a Basic header that the library would log in base64.
                return dict(flow.fetch_token(code=code, verify=self._ca_certs or True, include_client_id=True,
                                             timeout=self._request_timeout))
            except Warning as changed:  # oauthlib: "Scope has changed" (the manager unticked a box)
                token = getattr(changed, "token", None)
                if token is None:
                    raise
                return dict(token)

        try:
            token = await self._run_blocking(blocking)
        except OAuth2Error as exc:
            raise ConsentError(f"Google refused the sign-in code ({exc.error}). Start the connection again.",
                               detail=exc.error) from None
        except RequestException as exc:
            raise GoogleUnavailable("Google's sign-in service cannot be reached; check the internet connection.",
                                    detail=type(exc).__name__) from None
        access, refresh = str(token.get("access_token") or ""), str(token.get("refresh_token") or "")
        for value in (access, refresh, str(token.get("id_token") or "")):
            register_secret(value)
        if not access or not refresh:
            raise ConsentError("Google gave no lasting access (no refresh token). Remove FIDUS from your Google "
                               "account's third-party access and connect again.")
        scope = token.get("scope") or self._scopes
        granted = tuple(scope.split() if isinstance(scope, str) else (str(s) for s in scope))
        expires_at = None
        if isinstance(token.get("expires_in"), int | float):
            expires_at = datetime.now(UTC) + timedelta(seconds=float(token["expires_in"]))
        return TokenAnswer(access, refresh, expires_at, granted)
