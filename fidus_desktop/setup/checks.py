"""The "Test" buttons: a MongoDB address and a bridge, each tried before it is saved.

A MongoDB test runs in the io lane on an event loop of its own (the driver resolves
``mongodb+srv`` names with blocking calls); a bridge test is plain async HTTP on the caller's
loop. Neither saves anything, and every message is redacted of the secrets it was given.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge_link.errors import BridgeError

from ..errors import StorageUnavailable
from ..lanes import Lanes
from ..logs import redact, register_secret
from ..storage.open import check_store_blocking, is_mongodb_uri


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    message: str


async def check_mongodb(uri: str, database: str, *, timeout_seconds: float, lanes: Lanes) -> CheckResult:
    """Open the MongoDB at ``uri`` off the loop's thread, read two counts, close it."""
    uri = uri.strip()
    if not is_mongodb_uri(uri):
        return CheckResult(False, "That is not a MongoDB address: it starts with mongodb+srv:// (Atlas) "
                                  "or mongodb://.")
    from ..app_context import register_uri_secret

    try:
        register_uri_secret(uri)
    except Exception:  # an address the parser refuses: the driver's test below says why
        register_secret(uri)
    try:
        message = await lanes.io.run(
            lambda: check_store_blocking(uri, database=database, timeout_seconds=timeout_seconds),
            timeout=timeout_seconds * 4 + 15, action="test the MongoDB address")
    except TimeoutError:
        return CheckResult(False, f"The database did not answer within {timeout_seconds * 4 + 15:.0f} s.")
    except StorageUnavailable as exc:
        return CheckResult(False, redact(exc.message))
    except Exception as exc:  # a driver error the backend did not translate: said, never raised
        return CheckResult(False, redact(f"The address could not be used ({type(exc).__name__}: {exc})."))
    return CheckResult(True, redact(message))


async def check_bridge(name: str, url: str, api_key: str, *, connect_timeout: float = 3.0,
                       read_timeout: float = 10.0) -> CheckResult:
    """The bridge's account list (which needs the key), then its health."""
    from bridge_link.remote import RemoteSource  # the HTTP client's imports, only when a bridge is checked

    if api_key:
        register_secret(api_key)
    source = RemoteSource(name or "bridge", url, api_key, connect_timeout=connect_timeout, read_timeout=read_timeout)
    try:
        # The account list needs the key, so it tests the address and the key at once; health
        # (open to anyone) then says whether the terminal behind the bridge is connected.
        try:
            accounts = await source.accounts()
        except BridgeError as exc:
            return CheckResult(False, redact(exc.message))
        health = await source.health()
    finally:
        await source.close()
    served = f"{len(accounts)} account(s)"
    if health.connected:
        login = f", logged in to {health.login}" if health.login else ""
        return CheckResult(True, f"{source.name} answers: MT5 connected{login}; {served}.")
    return CheckResult(True, redact(f"{source.name} answers and accepts the key ({served}), but its MT5 "
                                    f"terminal is not connected: {health.detail or health.reason}."))
