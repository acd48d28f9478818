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
from ..domain.redemption_requests import RedemptionRequest
from ..domain.referrals import CommissionRecord, Salesperson
from .base import DocumentBackend, Repository
from .codecs import (ActivityCodec, ClientCodec, CommissionCodec, InvestmentCodec, LeadCodec, MoneyManagerCodec,
                     Mt5AccountCodec, Mt5AccountConfigCodec, ProductCodec, ProspectCodec, ReadinessCodec,
                     RedemptionCodec, ReferralClientCodec, SalespersonCodec)
from .problems import DocumentProblems
from .spec import CollectionSpec

CODECS = (ClientCodec(), ProspectCodec(), InvestmentCodec(), ProductCodec(), ActivityCodec(),
          Mt5AccountCodec(), MoneyManagerCodec(), Mt5AccountConfigCodec(), RedemptionCodec(), SalespersonCodec(),
          CommissionCodec(), LeadCodec(), ReadinessCodec(), ReferralClientCodec())
SPECS: tuple[CollectionSpec, ...] = tuple(c.spec for c in CODECS)

#: Every ``users`` document, whatever its type: usernames are unique across admins, clients and
#: agents (the original checks before each insert). Read only; never in SPECS (same table).
ALL_USERS = CollectionSpec(name="users", key=ClientCodec.spec.key, fields=ClientCodec.spec.fields)


class FundStore:
    def __init__(self, backend: DocumentBackend) -> None:
        self.backend = backend
        #: Documents left out of every figure because the app cannot trust them.
        self.problems = DocumentProblems()
        c = {type(codec): codec for codec in CODECS}

        def repo(codec: type) -> Repository:  # type: ignore[type-arg]
            return Repository(backend.collection(codec.spec), c[codec], self.problems)

        self.clients: Repository[Client] = repo(ClientCodec)
        self.prospects: Repository[Prospect] = repo(ProspectCodec)
        self.investments: Repository[Investment] = repo(InvestmentCodec)
        self.products: Repository[FundProduct] = repo(ProductCodec)
        self.activity: Repository[ActivityEntry] = repo(ActivityCodec)
        self.mt5_accounts: Repository[Mt5AccountLink] = repo(Mt5AccountCodec)
        self.money_managers: Repository[MoneyManager] = repo(MoneyManagerCodec)
        self.mt5_configs: Repository[Mt5AccountConfig] = repo(Mt5AccountConfigCodec)
        self.redemptions: Repository[RedemptionRequest] = repo(RedemptionCodec)
        self.salespeople: Repository[Salesperson] = repo(SalespersonCodec)
        self.commissions: Repository[CommissionRecord] = repo(CommissionCodec)
        self.leads: Repository[PortalLead] = repo(LeadCodec)
        self.readiness: Repository[ClientReadiness] = repo(ReadinessCodec)
        self.referral_clients: Repository[Client] = repo(ReferralClientCodec)

    @property
    def kind(self) -> str:
        return self.backend.kind

    @property
    def location(self) -> str:
        return self.backend.location

    def repositories(self) -> Iterable[Repository]:
        return (self.clients, self.prospects, self.investments, self.products, self.activity,
                self.mt5_accounts, self.money_managers, self.mt5_configs, self.redemptions, self.salespeople,
                self.commissions, self.leads, self.readiness, self.referral_clients)

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
