"""What a mail template may say about a person, read from the fund store (name, fund, amounts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..storage.query import Eq, Query
from ..timeline import Person, PersonKind
from .templates import DuePayment, FilledTemplate, Holding, Template, TemplateContext, fill

if TYPE_CHECKING:
    from ..app_context import AppContext


async def template_context(context: AppContext, person: Person, *, payment: DuePayment | None = None) -> TemplateContext:
    """The person's active investments (a prospect's, once converted) and the fund's name. With
    the database away the mail still reads well, only without figures."""
    holdings: list[Holding] = []
    store = context.store
    client_id = person.id if person.kind is PersonKind.CLIENT else ""
    if store is not None and person.kind is PersonKind.PROSPECT:
        prospect = await _or_none(store.prospects.find_one(person.id))
        client_id = prospect.client_id if prospect is not None and prospect.converted_to_client else ""
    if store is not None and client_id:
        investments = await _or_none(store.investments.find(Query(where=(Eq("client_id", client_id),))))
        for inv in investments or ():
            if inv.is_active:
                holdings.append(Holding(inv.product, inv.principal, inv.start_date.date()))
    holdings.sort(key=lambda h: (h.product, h.start or h.start))
    return TemplateContext(person.name, context.settings.fund_name, tuple(holdings), payment)


async def filled(context: AppContext, person: Person, template: Template | str, *,
                 payment: DuePayment | None = None) -> FilledTemplate:
    return fill(template, await template_context(context, person, payment=payment))


async def _or_none(awaitable):  # noqa: ANN001, ANN202 (any read)
    from ..errors import StorageUnavailable

    try:
        return await awaitable
    except StorageUnavailable:
        return None
