"""Connecting and disconnecting Google from the settings, over
:class:`fidus_desktop.google.account.GoogleAccount` (the Workspace panels use the same account).

What the settings keep is the account's address; the client file and the grant stay in the
keyring (the account module puts them there). Blocking work runs in the io lane.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..google.account import DisconnectResult, GoogleAccount
    from ..google.consent import ConsentFlow


async def account_for(context: AppContext, open_browser: Callable[[str], Any] | None = None) -> GoogleAccount:
    """The account object, made in the io lane: the Google client libraries take a second or two
    to import, which must not happen on the window's thread."""
    return await context.lanes.io.run(lambda: google_account(context, open_browser), action="load the Google client")


def google_account(context: AppContext, open_browser: Callable[[str], Any] | None = None) -> GoogleAccount:
    from ..google.account import GoogleAccount

    async def run_blocking(fn: Callable[[], Any]) -> Any:
        return await context.lanes.io.run(fn, action="Google")

    return GoogleAccount(context.settings.google, context.secrets, run_blocking, cache_dir=context.paths.cache_dir,
                         open_browser=open_browser)


@dataclass(frozen=True, slots=True)
class GoogleState:
    connected: bool
    account_email: str
    #: The OAuth client file's JSON is in the keyring (Connect can start).
    has_client: bool


async def state(context: AppContext, account: GoogleAccount) -> GoogleState:
    """What the keyring holds, read in the io lane (no call to Google)."""
    def read() -> GoogleState:
        grant = account.grant()
        return GoogleState(grant is not None, grant.account_email if grant else "", account.oauth_client() is not None)

    return await context.lanes.io.run(read, action="read the Google sign-in")


async def use_client_file(context: AppContext, account: GoogleAccount, path: str | Path) -> None:
    """Validate the OAuth client file and keep its JSON in the keyring (never copied)."""
    await context.lanes.io.run(lambda: account.use_client_file(path), action="read the OAuth client file")


async def connect(context: AppContext, account: GoogleAccount, flow: ConsentFlow,
                  on_url: Callable[[str], None] | None = None) -> str:
    """The browser sign-in; the account's address is saved in the settings. Returns it."""
    grant = await account.connect(flow, on_url=on_url)
    if grant.account_email != context.settings.google.account_email:
        google = dataclasses.replace(context.settings.google, account_email=grant.account_email)
        context.update_settings(context.settings.replace(google=google),
                                secrets=frozenset({context.settings.google.token_entry}))
    return grant.account_email


async def disconnect(context: AppContext, account: GoogleAccount) -> DisconnectResult:
    result = await account.disconnect()
    google = dataclasses.replace(context.settings.google, account_email="")
    context.update_settings(context.settings.replace(google=google),
                            secrets=frozenset({context.settings.google.token_entry}))
    return result

