"""The keyring as Windows has it: 2,560 bytes (UTF-16) an entry, errors that are not KeyringError."""

from __future__ import annotations

import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from fidus_desktop.errors import SecretStoreUnavailable
from fidus_desktop.logs import redact
from fidus_desktop.secrets import ENTRY_LIMIT_BYTES, SecretStore


class PyWinTypesError(Exception):
    """Stands for ``pywintypes.error``: what win32cred raises, outside keyring's error family."""


class CredentialManager(KeyringBackend):
    """Windows Credential Manager as keyring sees it: the blob is the value in UTF-16-LE."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.broken = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.broken:
            raise PyWinTypesError(1312, "CredRead", "A specified logon session does not exist.")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if len(password.encode("utf-16-le")) > ENTRY_LIMIT_BYTES:
            raise PyWinTypesError(1783, "CredWrite", "The stub received bad data.")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.entries[(service, username)]


def test_a_value_over_the_limit_is_split_and_read_back_whole():
    ring = CredentialManager()
    store = SecretStore(backend=ring)
    value = "tok-" + "x" * 3000 + "é漢字" * 200  # ~6.8 KB as UTF-16
    store.set("google-oauth-client", value)
    assert all(len(v.encode("utf-16-le")) <= ENTRY_LIMIT_BYTES for v in ring.entries.values())
    assert len(ring.entries) > 3
    assert SecretStore(backend=ring).get("google-oauth-client") == value


def test_small_values_stay_one_entry_and_overwriting_a_split_value_drops_its_parts():
    ring = CredentialManager()
    store = SecretStore(backend=ring)
    store.set("entry", "y" * 5000)
    store.set("entry", "short-value")
    assert list(ring.entries) == [("fidus-desktop", "entry")]
    assert store.get("entry") == "short-value"
    store.set("entry", "z" * 5000)
    store.delete("entry")
    assert ring.entries == {}
    assert store.get("entry") is None


def test_a_missing_part_is_an_error_not_a_truncated_secret():
    ring = CredentialManager()
    store = SecretStore(backend=ring)
    store.set("entry", "q" * 4000)
    part = next(key for key in ring.entries if "#" in key[1])
    del ring.entries[part]
    with pytest.raises(SecretStoreUnavailable, match="missing"):
        store.get("entry")


def test_a_value_too_large_for_any_number_of_parts_is_refused_clearly():
    store = SecretStore(backend=CredentialManager())
    with pytest.raises(SecretStoreUnavailable, match="too large"):
        store.set("entry", "w" * 100_000)


def test_backend_errors_outside_keyring_become_our_error_without_the_value():
    ring = CredentialManager()
    store = SecretStore(backend=ring)
    ring.broken = True
    with pytest.raises(SecretStoreUnavailable) as caught:
        store.get("mongodb-uri")
    assert "mongodb-uri" in str(caught.value) and "PyWinTypesError" in str(caught.value)

    class Refusing(CredentialManager):
        def set_password(self, service, username, password):
            raise PyWinTypesError(5, "CredWrite", f"denied for {password}")

    with pytest.raises(SecretStoreUnavailable) as refused:
        SecretStore(backend=Refusing()).set("bridge-key", "Secret-Value-123456")
    assert "Secret-Value-123456" not in str(refused.value) + refused.value.detail
    assert "Secret-Value-123456" not in redact("Secret-Value-123456")  # registered even though refused


def test_keyring_errors_become_our_error_too():
    class Locked(CredentialManager):
        def get_password(self, service, username):
            raise keyring.errors.KeyringLocked("locked")

    with pytest.raises(SecretStoreUnavailable, match="unlocked"):
        SecretStore(backend=Locked()).get("entry")
