"""The frozen app names its keyring back-end: Credential Manager on Windows, the Keychain on
macOS (a bundle lacks the entry points keyring finds them by); a source install lets keyring choose."""

from __future__ import annotations

import sys

import keyring
import keyring.backends.macOS
import keyring.backends.Windows

from fidus_desktop import secrets
from fidus_desktop.secrets import SecretStore, platform_backend


def test_the_frozen_app_uses_credential_manager_on_windows():
    assert type(platform_backend("win32", frozen=True)) is keyring.backends.Windows.WinVaultKeyring


def test_the_frozen_app_uses_the_keychain_on_macos():
    assert type(platform_backend("darwin", frozen=True)) is keyring.backends.macOS.Keyring


def test_a_source_install_and_linux_let_keyring_choose():
    assert platform_backend("win32", frozen=False) is None
    assert platform_backend("darwin", frozen=False) is None
    assert platform_backend("linux", frozen=True) is None


def test_the_secret_store_of_a_frozen_app_is_on_the_platform_backend(monkeypatch, isolated_home):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    store = SecretStore()
    assert type(store._backend) is keyring.backends.Windows.WinVaultKeyring
    # keyring's own choice follows, so libraries asking keyring reach the same store
    assert type(keyring.get_keyring()) is keyring.backends.Windows.WinVaultKeyring
    # off Windows its priority probe fails: the store says it has no keyring rather than crashing
    assert not store.persistent and store.warning


def test_outside_a_bundle_the_store_uses_keyrings_choice(isolated_home):
    assert SecretStore()._backend is isolated_home
    assert secrets.default_backend() is isolated_home
