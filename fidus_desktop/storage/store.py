"""The fund's data as the services see it: one repository per aggregate over one backend."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager

from ..domain.activity import ActivityEntry
from ..domain.funds import DEFAULT_PRODUCTS, FundProduct
from ..domain.investments import Investment
from ..domain.leads import PortalLead
from ..domain.money_managers import MoneyManager
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.mt5_config import Mt5AccountConfig
from ..domain.people import Client
from ..domain.prospects import Prospect
from ..domain.readiness import ClientReadiness
from .base import DocumentBackend, Repository
from .codecs import (ActivityCodec, ClientCodec, InvestmentCodec, LeadCodec, MoneyManagerCodec, Mt5AccountCodec,
                     Mt5AccountConfigCodec, ProductCodec, ProspectCodec, ReadinessCodec, ReferralClientCodec)
from .spec import CollectionSpec

CODECS = (ClientCodec(), ProspectCodec(), InvestmentCodec(), ProductCodec(), ActivityCodec(),
          Mt5AccountCodec(), MoneyManagerCodec(), Mt5AccountConfigCodec(), LeadCodec(), ReadinessCodec(),
          ReferralClientCodec())
SPECS: tuple[CollectionSpec, ...] = tuple(c.spec for c in CODECS)

#: Every ``users`` document, whatever its type: usernames are unique across admins, clients and
#: agents (the original checks before each insert). Read only; never in SPECS (same table).
ALL_USERS = CollectionSpec(name="users", key=ClientCodec.spec.key, fields=ClientCodec.spec.fields)


class FundStore:
    def __init__(self, backend: DocumentBackend) -> None:
        self.backend = backend
        c = {type(codec): codec for codec in CODECS}
        self.clients: Repository[Client] = Repository(backend.collection(ClientCodec.spec), c[ClientCodec])
        self.prospects: Repository[Prospect] = Repository(backend.collection(ProspectCodec.spec), c[ProspectCodec])
        self.investments: Repository[Investment] = Repository(
            backend.collection(InvestmentCodec.spec), c[InvestmentCodec])
        self.products: Repository[FundProduct] = Repository(backend.collection(ProductCodec.spec), c[ProductCodec])
        self.activity: Repository[ActivityEntry] = Repository(
            backend.collection(ActivityCodec.spec), c[ActivityCodec])
        self.mt5_accounts: Repository[Mt5AccountLink] = Repository(
            backend.collection(Mt5AccountCodec.spec), c[Mt5AccountCodec])
        self.money_managers: Repository[MoneyManager] = Repository(
            backend.collection(MoneyManagerCodec.spec), c[MoneyManagerCodec])
        self.mt5_configs: Repository[Mt5AccountConfig] = Repository(
            backend.collection(Mt5AccountConfigCodec.spec), c[Mt5AccountConfigCodec])
        self.leads: Repository[PortalLead] = Repository(backend.collection(LeadCodec.spec), c[LeadCodec])
        self.readiness: Repository[ClientReadiness] = Repository(
            backend.collection(ReadinessCodec.spec), c[ReadinessCodec])
        self.referral_clients: Repository[Client] = Repository(
            backend.collection(ReferralClientCodec.spec), c[ReferralClientCodec])

    @property
    def kind(self) -> str:
        return self.backend.kind

    @property
    def location(self) -> str:
        return self.backend.location

    def repositories(self) -> Iterable[Repository]:
        return (self.clients, self.prospects, self.investments, self.products, self.activity,
                self.mt5_accounts, self.money_managers, self.mt5_configs, self.leads, self.readiness,
                self.referral_clients)

    async def username_taken(self, username: str) -> bool:
        """Whether any ``users`` document (admin, client or agent) has ``username``."""
        from .query import Eq, Query

        users = self.backend.collection(ALL_USERS)
        return await users.count(Query(where=(Eq("username", username),))) > 0

    def repository(self, collection: str) -> Repository:
        """The repository holding the original's collection ``collection`` (``users`` -> clients)."""
        for repo in self.repositories():
            if repo.spec.name == collection:
                return repo
        raise KeyError(f"the fund store has no collection {collection!r}")

    @property
    def atomic(self) -> bool:
        """Whether :meth:`unit` commits several writes as one (SQLite; MongoDB with transactions)."""
        return bool(getattr(self.backend, "atomic_units", False))

    def unit(self) -> AbstractAsyncContextManager[object]:
        """A unit of work: a transaction where the backend offers one (see :attr:`atomic`)."""
        return self.backend.unit()

    @classmethod
    async def open(cls, backend: DocumentBackend) -> FundStore:
        await backend.open(SPECS)
        store = cls(backend)
        await store._seed_products()
        return store

    async def _seed_products(self) -> None:
        # The original kept products in code; a fund that has never stored them gets its values.
        if await self.products.count() == 0:
            await self.products.add_many(DEFAULT_PRODUCTS)

    async def close(self) -> None:
        await self.backend.close()

    async def is_empty(self) -> bool:
        return all([await r.count() == 0 for r in (self.clients, self.prospects, self.investments)])
