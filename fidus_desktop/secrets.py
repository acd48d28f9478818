"""Secrets live in the OS keyring, nowhere else.

Where the machine has no keyring backend (a headless Linux box), secrets are kept in memory for
this session only and :attr:`SecretStore.warning` says so once. Every secret that passes through
here is registered with the log redactor so it can never reach a log line.

Windows Credential Manager holds at most 2,560 bytes per entry, and keyring writes the value as
UTF-16 (two bytes a character for ASCII): so a value over 1,280 characters is split across
numbered entries ``<name>#<generation>.<n>``, and the entry ``<name>`` holds a small header naming
them with a digest of the whole. The header is written last and old parts are removed after, so
a write cut short leaves either the old value or the new one readable, never a mix.

Every backend failure (a ``KeyringError``, or what a backend raises on its own, such as
``pywintypes.error`` from ``CredWrite``) becomes :class:`SecretStoreUnavailable` with a sentence
naming the entry, never the value.

The back-end: keyring finds it through its package's entry points, which a PyInstaller bundle
does not carry, so the frozen app would get the "fail" back-end (``NoKeyringError``) and lose
every secret at exit. In a frozen app the platform's is therefore named outright
(:func:`platform_backend`): Credential Manager on Windows, the Keychain on macOS.
"""

from __future__ import annotations

import hashlib
import logging
import secrets as _random
import sys

import keyring
import keyring.backend
import keyring.errors

from .errors import SecretStoreUnavailable
from .logs import register_secret

log = logging.getLogger(__name__)

SERVICE = "fidus-desktop"

#: ``CRED_MAX_CREDENTIAL_BLOB_SIZE`` of wincred.h; keyring stores the value as UTF-16-LE.
ENTRY_LIMIT_BYTES = 2560
#: Parts are cut by characters; 1,200 leaves room for characters outside the BMP (4 bytes each)
#: only when they are rare, so a part is re-cut smaller when it does not fit.
_PART_CHARS = 1200
#: More parts than this is not a secret but a file: refused rather than scattered.
MAX_PARTS = 32
_HEADER = "fidus-parts:v1:"


def entry_bytes(value: str) -> int:
    """What an entry of ``value`` costs in Credential Manager."""
    return len(value.encode("utf-16-le"))


#: The back-end a frozen app uses on each platform: ``(module, class)`` inside ``keyring.backends``.
FROZEN_BACKENDS = {"win32": ("keyring.backends.Windows", "WinVaultKeyring"),
                   "darwin": ("keyring.backends.macOS", "Keyring")}


def platform_backend(platform: str | None = None, frozen: bool | None = None) -> keyring.backend.KeyringBackend | None:
    """The back-end to use explicitly, or ``None`` to let keyring find one (a source install,
    Linux, where Secret Service is found through its entry points as usual)."""
    platform = sys.platform if platform is None else platform
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    if not frozen or platform not in FROZEN_BACKENDS:
        return None
    import importlib

    module, name = FROZEN_BACKENDS[platform]
    return getattr(importlib.import_module(module), name)()


def default_backend() -> keyring.backend.KeyringBackend:
    """The process's back-end: the platform's in a frozen app, else keyring's choice. A frozen
    app also makes it keyring's own, so every library asking keyring gets the same one."""
    explicit = platform_backend()
    if explicit is None:
        return keyring.get_keyring()
    keyring.set_keyring(explicit)
    return explicit


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    # The "fail" backend (priority 0) and the null backend both mean "no keyring here".
    try:
        return backend.priority > 0  # type: ignore[operator]
    except Exception:  # a backend may raise from its priority probe when its service is absent
        return False


def _split(value: str) -> list[str]:
    parts: list[str] = []
    rest = value
    while rest:
        size = min(_PART_CHARS, len(rest))
        while entry_bytes(rest[:size]) > ENTRY_LIMIT_BYTES:
            size -= 64
        parts.append(rest[:size])
        rest = rest[size:]
    return parts


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


class SecretStore:
    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, service: str = SERVICE) -> None:
        self._backend = backend or default_backend()
        self._service = service
        self._memory: dict[str, str] = {}
        self.persistent = _usable(self._backend)
        self.warning: str | None = None
        if not self.persistent:
            self.warning = ("No system keyring was found: passwords and keys you enter are kept for "
                            "this session only and must be entered again next time.")
            log.warning("no keyring backend (%s); secrets kept in memory only", type(self._backend).__name__)

    # -- the API ------------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        """The value, or ``None`` when the entry is not set. Raises :class:`SecretStoreUnavailable`
        when the keyring cannot be read (so "not set" is never confused with "unreadable")."""
        if not name:
            return None
        value = self._memory.get(name)
        if value is None and self.persistent:
            value = self._read(name)
        if value:
            register_secret(value)
        return value

    def set(self, name: str, value: str) -> None:
        register_secret(value)
        if not self.persistent:
            self._memory[name] = value
            return
        previous = self._raw(name, "read")
        parts = _split(value) if entry_bytes(value) > ENTRY_LIMIT_BYTES else []
        if len(parts) > MAX_PARTS:
            raise SecretStoreUnavailable(
                f"The value for keyring entry '{name}' is too large to keep in the keyring "
                f"({len(value):,} characters; at most {MAX_PARTS * _PART_CHARS:,}).")
        if parts:
            generation = _random.token_hex(4)
            for index, part in enumerate(parts):
                self._write(f"{name}#{generation}.{index}", part, name)
            self._write(name, f"{_HEADER}{generation}:{len(parts)}:{_digest(value)}", name)
        else:
            self._write(name, value, name)
        self._memory.pop(name, None)
        if previous and previous.startswith(_HEADER):
            self._delete_parts(name, previous)

    def delete(self, name: str) -> None:
        self._memory.pop(name, None)
        if not self.persistent:
            return
        previous = self._raw(name, "read")
        if previous is None:
            return
        try:
            self._backend.delete_password(self._service, name)
        except keyring.errors.PasswordDeleteError:
            pass
        except Exception as exc:
            raise self._failure(name, "delete", exc) from None
        if previous.startswith(_HEADER):
            self._delete_parts(name, previous)

    # -- the backend, every error translated ----------------------------------------------------

    def _failure(self, name: str, action: str, exc: BaseException) -> SecretStoreUnavailable:
        # The exception text of a backend may quote what it was given: only its type is kept.
        log.warning("keyring %s of %s failed: %s", action, name, type(exc).__name__)
        return SecretStoreUnavailable(
            f"The system keyring could not {action} the entry '{name}' ({type(exc).__name__}). "
            "Check that the keyring (Credential Manager) is available and unlocked.",
            detail=type(exc).__name__)

    def _raw(self, name: str, action: str) -> str | None:
        try:
            return self._backend.get_password(self._service, name)
        except Exception as exc:
            raise self._failure(name, action, exc) from None

    def _write(self, entry: str, value: str, name: str) -> None:
        try:
            self._backend.set_password(self._service, entry, value)
        except Exception as exc:
            raise self._failure(name, "save", exc) from None

    def _read(self, name: str) -> str | None:
        head = self._raw(name, "read")
        if head is None or not head.startswith(_HEADER):
            return head
        try:
            generation, count_text, digest = head[len(_HEADER):].split(":")
            count = int(count_text)
        except ValueError:
            raise SecretStoreUnavailable(f"The keyring entry '{name}' is damaged; save it again.") from None
        if not 0 < count <= MAX_PARTS:
            raise SecretStoreUnavailable(f"The keyring entry '{name}' is damaged; save it again.")
        pieces = []
        for index in range(count):
            piece = self._raw(f"{name}#{generation}.{index}", "read")
            if piece is None:
                raise SecretStoreUnavailable(f"Part of the keyring entry '{name}' is missing; save it again.")
            pieces.append(piece)
        value = "".join(pieces)
        if _digest(value) != digest:
            raise SecretStoreUnavailable(f"The keyring entry '{name}' is damaged; save it again.")
        return value

    def _delete_parts(self, name: str, header: str) -> None:
        try:
            generation, count_text, _ = header[len(_HEADER):].split(":")
            count = min(int(count_text), MAX_PARTS)
        except ValueError:
            return
        for index in range(count):
            try:
                self._backend.delete_password(self._service, f"{name}#{generation}.{index}")
            except Exception as exc:  # a leftover part is harmless: it is never read again
                log.warning("keyring cleanup of a part of %s failed: %s", name, type(exc).__name__)
