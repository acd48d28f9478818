"""A person's record as the record pane shows it: the stored prospect (or portal lead, or
client), what blocks its conversion, its readiness, and its linked investments and MT5 accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ..domain.leads import PortalLead, lead_id_of
from ..domain.people import Client
from ..domain.prospects import Prospect, conversion_blockers
from ..domain.readiness import ClientReadiness
from ..storage.query import Eq, Query
from .leads import read_lead
from .prospects import store_of
from .timeline import Person

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..storage.store import FundStore


@dataclass(frozen=True, slots=True)
class LinkedInvestment:
    investment_id: str
    product: str
    principal: Decimal
    status: str
    mt5_accounts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ProspectRecord:
    key: str
    prospect: Prospect | None
    lead: PortalLead | None
    client: Client | None
    blockers: tuple[str, ...]
    investments: tuple[LinkedInvestment, ...] = ()

    @property
    def person(self) -> Person:
        if self.prospect is None:
            return Person()
        return Person.of(self.prospect.prospect_id, self.prospect.client_id, merged_prospects=self.prospect.merged_ids,
                         merged_clients=self.client.merged_ids if self.client else ())

    @property
    def mt5_accounts(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(a for i in self.investments for a in i.mt5_accounts))


@dataclass(frozen=True, slots=True)
class ClientRecord:
    client: Client
    readiness: ClientReadiness | None
    investments: tuple[LinkedInvestment, ...] = ()
    prospect_id: str = ""
    merged: tuple[str, ...] = field(default_factory=tuple)

    @property
    def person(self) -> Person:
        return Person.of(self.prospect_id, self.client.client_id, merged_clients=self.client.merged_ids)

    @property
    def mt5_accounts(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(a for i in self.investments for a in i.mt5_accounts))


async def investments_of(store: FundStore, client_id: str) -> tuple[LinkedInvestment, ...]:
    if not client_id:
        return ()
    found = await store.investments.find(Query(where=(Eq("client_id", client_id),), order_by=(("start_date", True),)))
    return tuple(LinkedInvestment(i.investment_id, i.product, i.principal, str(i.status), i.mt5_accounts) for i in found)


async def open_prospect(context: AppContext, key: str) -> ProspectRecord:
    if lead_id_of(key) is not None:
        lead = await read_lead(context, key)
        if lead.migrated_to_crm and lead.crm_prospect_id:  # migrated meanwhile (the web platform)
            return await open_prospect(context, lead.crm_prospect_id)
        return ProspectRecord(key, None, lead, None, ("it is a portal lead, not yet in the pipeline",))
    store = store_of(context)
    prospect = await store.prospects.get(key)
    client = await store.clients.find_one(prospect.client_id) if prospect.client_id else None
    investments = await investments_of(store, prospect.client_id)
    return ProspectRecord(key, prospect, None, client, tuple(conversion_blockers(prospect)), investments)


async def open_client(context: AppContext, client_id: str, origin: str = "users") -> ClientRecord:
    store = store_of(context)
    repo = store.referral_clients if origin == "clients" else store.clients
    client = await repo.get(client_id)
    readiness = await store.readiness.find_one(client_id)
    investments = await investments_of(store, client_id)
    return ClientRecord(client, readiness, investments, client.source_prospect_id)
