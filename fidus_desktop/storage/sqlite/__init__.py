"""The embedded SQLite backend of the fund store (the default, no server needed)."""

from .backend import SqliteBackend

__all__ = ["SqliteBackend"]
