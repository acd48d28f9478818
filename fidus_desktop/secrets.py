"""Secrets live in the OS keyring, nowhere else.

Where the machine has no keyring backend (a headless Linux box), secrets are kept in memory for
this session only and :attr:`SecretStore.warning` says so once. Every secret that passes through
here is registered with the log redactor so it can never reach a log line.
"""

from __future__ import annotations

import logging

import keyring
import keyring.backend
import keyring.errors

from .logs import register_secret

log = logging.getLogger(__name__)

SERVICE = "fidus-desktop"


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    # The "fail" backend (priority 0) and the null backend both mean "no keyring here".
    try:
        return backend.priority > 0  # type: ignore[operator]
    except Exception:  # a backend may raise from its priority probe when its service is absent
        return False


class SecretStore:
    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, service: str = SERVICE) -> None:
        self._backend = backend or keyring.get_keyring()
        self._service = service
        self._memory: dict[str, str] = {}
        self.persistent = _usable(self._backend)
        self.warning: str | None = None
        if not self.persistent:
            self.warning = ("No system keyring was found: passwords and keys you enter are kept for "
                            "this session only and must be entered again next time.")
            log.warning("no keyring backend (%s); secrets kept in memory only", type(self._backend).__name__)

    def get(self, name: str) -> str | None:
        if not name:
            return None
        value = self._memory.get(name)
        if value is None and self.persistent:
            try:
                value = self._backend.get_password(self._service, name)
            except keyring.errors.KeyringError as exc:
                log.warning("keyring read of %s failed: %s", name, type(exc).__name__)
                value = None
        if value:
            register_secret(value)
        return value

    def set(self, name: str, value: str) -> None:
        register_secret(value)
        if self.persistent:
            try:
                self._backend.set_password(self._service, name, value)
                self._memory.pop(name, None)
                return
            except keyring.errors.KeyringError as exc:
                log.warning("keyring write of %s failed (%s); kept in memory", name, type(exc).__name__)
        self._memory[name] = value

    def delete(self, name: str) -> None:
        self._memory.pop(name, None)
        if self.persistent:
            try:
                self._backend.delete_password(self._service, name)
            except keyring.errors.PasswordDeleteError:
                pass
