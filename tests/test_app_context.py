"""Opening the app's context: demo data on the first embedded run, never a crash for a dead
MongoDB, and the right service statuses."""

from __future__ import annotations

import socket

import pytest

from fidus_desktop.app_context import EMBEDDED_SOURCE, AppContext, open_context
from fidus_desktop.config import Settings, StorageSettings
from fidus_desktop.paths import AppPaths
from fidus_desktop.services.health import ServiceName, ServiceState


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


async def counts(context: AppContext) -> tuple[int, int, int, int]:
    store = context.store
    return (await store.clients.count(), await store.prospects.count(), await store.investments.count(),
            await store.mt5_accounts.count())


async def test_first_embedded_run_loads_the_demo_fund_once():
    paths = AppPaths.default()
    first = await open_context(paths)
    try:
        assert first.demo_loaded
        loaded = await counts(first)
        assert all(n > 0 for n in loaded)
        database = first.health.get(ServiceName.DATABASE)
        assert (database.state, database.source) == (ServiceState.ONLINE, EMBEDDED_SOURCE)
        assert first.cache is not None and await first.cache.pending_count() == 0
    finally:
        await first.close()

    second = await open_context(paths)
    try:
        assert not second.demo_loaded
        assert await counts(second) == loaded
    finally:
        await second.close()


async def test_the_first_panels_services_start_first_and_the_others_when_asked():
    from fidus_desktop.crm.pipeline_service import PipelineService
    from fidus_desktop.services.mt5_monitor import Mt5MonitorService
    from fidus_desktop.services.portfolio_service import PortfolioService

    context = AppContext.create(AppPaths.default())
    try:
        await context.start(first_panel="crm")
        assert context.service(PipelineService) is not None and context.service(PipelineService).running
        assert context.service(PortfolioService) is None and context.service(Mt5MonitorService) is None
        assert context.services_held
        assert (await context.service(PipelineService).ready()) is not None  # the CRM's data, read
        await context.start_held()
        assert not context.services_held
        portfolio, monitor = context.service(PortfolioService), context.service(Mt5MonitorService)
        assert portfolio is not None and portfolio.running and monitor is not None and monitor.running
        names = [s.name for s in context.services]
        await context.start_held()  # once: nothing is added twice
        assert [s.name for s in context.services] == names
        assert (await portfolio.ready()).ids  # and the held service does its work
    finally:
        await context.close()


async def test_emptied_fund_is_not_refilled_with_demo_data_on_a_later_start():
    paths = AppPaths.default()
    context = await open_context(paths)
    for client in await context.store.clients.find():
        await context.store.clients.remove(client)
    await context.close()
    again = await open_context(paths)
    try:
        assert not again.demo_loaded and await again.store.clients.count() == 0
    finally:
        await again.close()


async def test_unreachable_mongodb_opens_offline_instead_of_raising():
    port = closed_port()
    settings = Settings(storage=StorageSettings(backend="mongodb", timeout_seconds=0.3))
    context = await open_context(AppPaths.default(), settings=settings,
                                 mongo_uri=f"mongodb://fund:Pa55-w0rd-x@127.0.0.1:{port}/?directConnection=true")
    try:
        database = context.health.get(ServiceName.DATABASE)
        assert database.state is ServiceState.OFFLINE
        assert database.source == f"MongoDB 127.0.0.1:{port}"
        assert database.detail and "Pa55-w0rd-x" not in database.detail
        assert context.store is None and not context.demo_loaded
        assert context.cache is not None  # changes can still be queued locally
    finally:
        await context.close()


async def test_mongodb_without_a_saved_uri_is_not_configured():
    settings = Settings(storage=StorageSettings(backend="mongodb"))
    context = await open_context(AppPaths.default(), settings=settings)
    try:
        database = context.health.get(ServiceName.DATABASE)
        assert database.state is ServiceState.NOT_CONFIGURED and "mongodb-uri" in database.detail
    finally:
        await context.close()


def test_mt5_and_google_start_without_pretending_to_be_online():
    context = AppContext.create(AppPaths.default())
    mt5, google = context.health.get(ServiceName.MT5), context.health.get(ServiceName.GOOGLE)
    assert (mt5.state, mt5.source) == (ServiceState.UNKNOWN, "demo terminal")
    assert google.state is ServiceState.NOT_CONFIGURED


async def test_close_is_idempotent_and_releases_the_store():
    context = await open_context(AppPaths.default())
    await context.close()
    await context.close()
    assert context.closed and context.store is None and context.cache is None


# ---- against a MongoDB (mongoeco wire server, real PyMongo) ---------------------------------

from tests.storage.mongo_fixtures import WireServer, mongo_server  # noqa: E402,F401 (fixture)


@pytest.mark.mongo
async def test_demo_data_never_goes_into_mongodb_and_the_keyring_uri_is_used(mongo_server: WireServer):  # noqa: F811 (fixture)
    settings = Settings(storage=StorageSettings(backend="mongodb", mongo_database="fidus_ctx_test",
                                                timeout_seconds=5))
    context = AppContext.create(AppPaths.default(), settings=settings)
    context.secrets.set(settings.storage.mongo_uri_secret, mongo_server.uri)
    await context.open_storage(demo=True)
    try:
        database = context.health.get(ServiceName.DATABASE)
        assert database.state is ServiceState.ONLINE
        assert database.source == f"MongoDB {mongo_server.host_port}"
        assert not context.demo_loaded and await context.store.clients.count() == 0
        assert any("never into MongoDB" in w for w in context.startup_warnings)
    finally:
        await context.close()


def test_change_summaries_reach_subscribers_and_empty_ones_are_not_published():
    from fidus_desktop.events import EventType
    from fidus_desktop.services.changes import Changes, publish_changes

    context = AppContext.create(AppPaths.default())
    received = []

    def on_data(changes):  # held weakly by the bus: this local keeps it alive
        received.append(changes)

    context.events.subscribe(EventType.DATA_CHANGED, on_data)
    panel = object()
    publish_changes(context.events, Changes.of(prospects=["p1"], activity=["a1", "a2"], initiator=panel))
    publish_changes(context.events, Changes())
    assert len(received) == 1
    change = received[0]
    assert change.touched() == ("prospects", "activity") and change.is_from(panel)
    merged = change.merge(Changes.of(clients=["c1"]))
    assert merged.clients == {"c1"} and merged.prospects == {"p1"} and merged.initiator is None
    with pytest.raises(TypeError, match="unknown aggregate"):
        Changes.of(timeline=["x"])
