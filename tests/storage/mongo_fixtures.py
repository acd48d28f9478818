"""MongoDB test servers: mongoeco speaking the wire protocol on 127.0.0.1 to the real PyMongo.

Each server runs on its own thread with its own event loop, so it outlives the per-test loops
of pytest-asyncio and every test's clients reach it over TCP like they would reach Atlas.
Imported by ``tests/storage/conftest.py`` (``from tests.storage.mongo_fixtures import *``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote_plus

import pytest
from mongoeco.engines.memory import MemoryEngine
from mongoeco.wire import AsyncMongoEcoProxyServer, WireAuthUser
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from fidus_desktop.storage.mongo import MongoBackend

__all__ = ["AUTH_PASSWORD", "AUTH_USER", "WireServer", "auth_uri", "mongo_auth_server", "mongo_backend",
           "mongo_database_name", "mongo_server", "web_client", "web_db"]

AUTH_USER = "fund_manager"
# Characters that must be percent-encoded in a URI, so tests see both forms stay hidden.
AUTH_PASSWORD = "Tr0ub4dor&3/s3cret@fidus"
# mongoeco's name for the PyMongo behaviour it emulates; 4.13 is the newest it knows.
PYMONGO_PROFILE = "4.13"


class WireServer:
    """One mongoeco server owned by a thread; ``uri`` is valid between start() and stop()."""

    def __init__(self, *, auth_users: tuple[WireAuthUser, ...] = ()) -> None:
        self._auth_users = auth_users
        self._ready: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), name="mongoeco-wire",
                                        daemon=True)
        self.port = 0

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host_port}/?directConnection=true"

    def start(self) -> WireServer:
        self._thread.start()
        self.port = self._ready.result(timeout=15)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=15)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = AsyncMongoEcoProxyServer(engine=MemoryEngine(), pymongo_profile=PYMONGO_PROFILE,
                                          auth_users=self._auth_users)
        try:
            address = await server.start()
        except BaseException as exc:
            self._ready.set_exception(exc)
            raise
        self._ready.set_result(address.port)
        try:
            await self._stop.wait()
        finally:
            await server.close()


def auth_uri(server: WireServer, password: str = AUTH_PASSWORD, user: str = AUTH_USER) -> str:
    return (f"mongodb://{quote_plus(user)}:{quote_plus(password)}@{server.host_port}/"
            "?directConnection=true&authSource=admin&authMechanism=SCRAM-SHA-256")


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[WireServer]:
    server = WireServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mongo_auth_server() -> Iterator[WireServer]:
    """A server that only accepts ``AUTH_USER``/``AUTH_PASSWORD`` over SCRAM-SHA-256."""
    user = WireAuthUser(AUTH_USER, AUTH_PASSWORD, source="admin", mechanisms=("SCRAM-SHA-256",))
    server = WireServer(auth_users=(user,)).start()
    yield server
    server.stop()


@pytest.fixture
def mongo_database_name() -> str:
    return f"fidus_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def web_client(mongo_server: WireServer) -> AsyncIterator[AsyncMongoClient]:
    """A plain client like the web platform's: not tz-aware, so it writes and reads naive UTC."""
    client: AsyncMongoClient = AsyncMongoClient(mongo_server.uri, serverSelectionTimeoutMS=5000)
    yield client
    await client.close()


@pytest.fixture
def web_db(web_client: AsyncMongoClient, mongo_database_name: str) -> AsyncDatabase:
    """The database the ``mongo_backend`` fixture uses, as the web platform sees it."""
    return web_client[mongo_database_name]


@pytest.fixture
async def mongo_backend(mongo_server: WireServer, mongo_database_name: str) -> AsyncIterator[MongoBackend]:
    """An unopened backend on a fresh database; closed and the database dropped afterwards."""
    backend = MongoBackend(mongo_server.uri, database=mongo_database_name, timeout_seconds=5.0)
    yield backend
    await backend.close()
    # Drop it so the session's in-memory server stays small (mongoeco scans on every write).
    cleaner: AsyncMongoClient = AsyncMongoClient(mongo_server.uri, serverSelectionTimeoutMS=5000)
    try:
        await cleaner.drop_database(mongo_database_name)
    finally:
        await cleaner.close()
