"""The fund's MongoDB (usually the web platform's Atlas cluster) as a :class:`DocumentBackend`."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC
from decimal import Decimal
from typing import Any

from bson import Decimal128
from bson.codec_options import DatetimeConversion, TypeRegistry
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.common import URI_OPTIONS_VALIDATOR_MAP
from pymongo.uri_parser import split_options

from ...errors import StorageUnavailable
from ..spec import CollectionSpec
from .address import MongoAddress
from .collection import MongoCollection
from .errors import ErrorGuard
from .indexes import ensure_indexes

log = logging.getLogger(__name__)

APP_NAME = "FIDUS Desktop"

#: The session of the unit of work the current task is in (``None``: no transaction).
CURRENT_SESSION: contextvars.ContextVar[AsyncClientSession | None] = contextvars.ContextVar(
    "mongo-unit-session", default=None)


def _decimal_as_decimal128(value: Any) -> Any:
    # Codecs choose each field's encoding; this only catches a Decimal that slipped through (a
    # query bound, an activity detail) and stores it exactly, as the original's readers accept.
    if isinstance(value, Decimal):
        return Decimal128(value)
    return value


def _check_options(options: str) -> None:
    """Raise for a URI option with a value PyMongo cannot use (``authMechanism=BOGUS``,
    ``tls=maybe``): the client itself only warns and drops it, and the server then refuses the
    login, which reads as a wrong user name or password. Options PyMongo does not know are left
    to it (it ignores them with a warning), so a URI from a newer Atlas still connects."""
    if not options:
        return
    separator = ";" if ";" in options and "&" not in options else "&"
    known = [pair for pair in options.split(separator)
             if pair.partition("=")[0].lower() in URI_OPTIONS_VALIDATOR_MAP]
    if known:
        split_options(separator.join(known), validate=True, warn=False)


class MongoBackend:
    """Connects lazily, in :meth:`open`: building one never touches the network, so settings
    can show its :attr:`location` (the URI without password or options) before it connects."""

    kind = "mongodb"

    def __init__(self, uri: str, *, database: str = "fidus_production", timeout_seconds: float = 8.0) -> None:
        self._address = MongoAddress.parse(uri)
        self.location = self._address.location
        self._uri = uri
        self._database_name = database
        self._timeout = timeout_seconds
        self._guard = ErrorGuard(self._address, database, timeout_seconds)
        self._client: AsyncMongoClient | None = None
        #: Whether the server runs multi-document transactions (a replica set or a sharded
        #: cluster, Atlas included; a standalone server does not). Known after :meth:`open`.
        self.atomic_units = False

    async def open(self, specs: Iterable[CollectionSpec]) -> None:
        if self._client is None:
            self._client = self._connect()
        try:
            await self.ping()
            with self._guard:
                hello = await self._database().command("hello")
                self.atomic_units = bool(hello.get("setName") or hello.get("msg") == "isdbgrid")
                for spec in specs:
                    await ensure_indexes(self._collection(spec.name), spec)
        except BaseException:
            await self.close()
            raise
        log.info("connected to %s, database %s (transactions: %s)", self.location, self._database_name,
                 "yes" if self.atomic_units else "no")

    def _connect(self) -> AsyncMongoClient:
        if not self._address.is_mongodb:
            raise self._guard.invalid_address("it must start with mongodb:// or mongodb+srv://")
        timeout_ms = int(self._timeout * 1000)
        with self._guard.connecting():
            _check_options(self._address.options)
            return AsyncMongoClient(
                self._uri,
                appname=APP_NAME,
                # The original wrote naive UTC datetimes; read every one as aware UTC.
                tz_aware=True,
                tzinfo=UTC,
                # A date outside Python's range must not make a whole list unreadable; it reaches
                # the codec as a DatetimeMS, which reports that one record.
                datetime_conversion=DatetimeConversion.DATETIME_AUTO,
                type_registry=TypeRegistry(fallback_encoder=_decimal_as_decimal128),
                serverSelectionTimeoutMS=timeout_ms,
                connectTimeoutMS=timeout_ms,
                # Without it a server that stops answering mid-operation would hang the call for
                # ever; generous because the first open may build indexes on large collections.
                socketTimeoutMS=max(timeout_ms * 4, 30_000),
            )

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def ping(self) -> None:
        with self._guard:
            await self._database().command("ping")

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[object]:
        """A multi-document transaction where the server offers one; otherwise the block runs as
        it is (each write atomic on its own) and the caller must make the unit recoverable (the
        write path puts it in the outbox first, see ``fidus_desktop/runtime/writer.py``)."""
        if not self.atomic_units or CURRENT_SESSION.get() is not None:
            yield None
            return
        if self._client is None:
            raise StorageUnavailable("The MongoDB database is not connected.", reason="unreachable")
        with self._guard:
            async with self._client.start_session() as session:
                async with await session.start_transaction():
                    token = CURRENT_SESSION.set(session)
                    try:
                        yield session
                    finally:
                        CURRENT_SESSION.reset(token)

    def external_changes(self, specs: Iterable[CollectionSpec], *,
                         poll_seconds: float = 5.0) -> AsyncIterator[dict[str, set[str]]]:
        """Other writers' changes, as ``{collection: keys}`` batches (see ``watch.py``)."""
        from .watch import watch_changes

        return watch_changes(self._database(), specs, poll_seconds=poll_seconds)

    def collection(self, spec: CollectionSpec) -> MongoCollection:
        return MongoCollection(spec, lambda: self._collection(spec.name), self._guard)

    def _database(self) -> AsyncDatabase:
        if self._client is None:
            raise StorageUnavailable("The MongoDB database is not connected.", reason="unreachable")
        return self._client[self._database_name]

    def _collection(self, name: str) -> AsyncCollection:
        return self._database()[name]
