"""MongoDB backend over PyMongo's async API (the web platform's Atlas database)."""

from .backend import MongoBackend

__all__ = ["MongoBackend"]
