"""A prospect becomes a client, under the original's rule (reference §3.2), all or nothing.

Allowed only when the prospect is at ``won``, not converted yet, and its AML/KYC status
(missing counts as pending) is ``clear`` or ``approved``. One operation then writes

1. the ``users`` document exactly as ``POST /crm/prospects/{id}/convert`` shapes it: ``id`` =
   ``client_<8 hex>``, ``username`` = the e-mail's local part lower-cased without dots and
   hyphens, cut to 10 characters, digits appended until no user has it; name, e-mail and phone
   copied; ``type``/``user_type`` ``client``, ``status: active``, ``created_from_prospect``,
   ``prospect_id``, ``source_prospect_id``, ``source_lead_id``, ``aml_kyc_status``,
   ``aml_kyc_result_id``, ``createdAt`` as an ISO string; **no password of any kind** (and not
   the original's random stock-photo ``profile_picture`` either);
2. the prospect's ``converted_to_client: true``, ``client_id`` and an ISO ``updated_at``;
3. its portal lead's ``converted: true``, ``client_id``, ``converted_date`` (when it has one);
4. the timeline entry, naming both the prospect and the new client.

Usernames are checked against every ``users`` document (admins and agents too), so converting
needs the database: while it is away the conversion is refused with that reason, not queued.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..domain.leads import lead_id_of
from ..domain.prospects import Prospect, conversion_blockers
from ..domain.values import iso_utc, utc_now
from ..errors import FidusError, StorageUnavailable
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..services.changes import PIPELINE, TIMELINE
from ..storage.writes import Insert
from .prospects import store_of
from .timeline import EventKind

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..storage.store import FundStore

USERNAME_LENGTH = 10


class ConversionRefused(FidusError):
    """The rule is not met; ``reasons`` lists every condition that fails."""

    code = "conversion_refused"

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("This prospect cannot become a client yet: " + "; ".join(reasons) + ".")
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class Conversion:
    client_id: str
    username: str
    prospect: Prospect
    result: WriteResult


def username_base(email: str) -> str:
    """The original's rule: local part, lower-cased, dots and hyphens removed, 10 characters."""
    local = email.split("@")[0].lower().replace(".", "").replace("-", "")
    return local[:USERNAME_LENGTH] or "client"


async def free_username(store: FundStore, email: str) -> str:
    base = username_base(email)
    username, counter = base, 1
    while await store.username_taken(username):
        username = f"{base}{counter}"
        counter += 1
    return username


async def new_client_id(store: FundStore) -> str:
    while True:
        candidate = f"client_{str(uuid.uuid4())[:8]}"
        if await store.clients.find_one(candidate) is None:
            return candidate


def converted_user(prospect: Prospect, client_id: str, username: str, now: Any) -> dict[str, Any]:
    raw = prospect.raw
    return {
        "id": client_id,
        "username": username,
        "name": raw.get("name", prospect.name),
        "email": raw.get("email", prospect.email),
        "phone": raw.get("phone", prospect.phone),
        "type": "client",
        "status": "active",
        "created_from_prospect": True,
        "prospect_id": prospect.prospect_id,
        "source_prospect_id": prospect.prospect_id,
        "source_lead_id": prospect.original_lead_id or None,
        "aml_kyc_status": prospect.aml_kyc_status.value,
        "aml_kyc_result_id": raw.get("aml_kyc_result_id"),
        "createdAt": iso_utc(now),
        "user_id": client_id,
        "user_type": "client",
    }


async def conversion_check(context: AppContext, key: str) -> tuple[Prospect | None, list[str]]:
    """The prospect as stored now and every condition of the rule it fails."""
    if lead_id_of(key) is not None:
        return None, ["it is a portal lead: take it into the pipeline and move it to 'Won' first",
                      "AML/KYC is 'pending', not clear or approved"]
    store = store_of(context)
    prospect = await store.prospects.get(key)
    return prospect, conversion_blockers(prospect)


async def convert_prospect(context: AppContext, key: str) -> Conversion:
    try:
        prospect, reasons = await conversion_check(context, key)
    except StorageUnavailable as exc:
        raise StorageUnavailable(f"Converting needs the database (usernames are checked there): {exc.message}",
                                 reason=exc.reason) from exc
    if reasons:
        raise ConversionRefused(reasons)
    assert prospect is not None
    store = store_of(context)
    now = utc_now()
    client_id = await new_client_id(store)
    username = await free_username(store, prospect.email)
    writes: list[Any] = [Insert("users", converted_user(prospect, client_id, username, now))]
    patch = store.prospects.patch_of(prospect.evolve(converted_to_client=True, client_id=client_id), now)
    assert patch is not None
    writes.append(patch)
    lead = await store.leads.find_one(prospect.original_lead_id) if prospect.original_lead_id else None
    if lead is not None:
        lead_patch = store.leads.patch_of(lead.evolve(converted=True, client_id=client_id), now,
                                          derived={"converted_date": now})
        if lead_patch is not None:
            writes.append(lead_patch)
    op = Operation("prospect.convert", tuple(writes), Audit(
        activity_type=str(EventKind.CONVERSION), description=f"{prospect.name} became client {client_id} "
        f"(username {username})", prospect_id=prospect.prospect_id, client_id=client_id,
        details={"username": username, "lead_id": prospect.original_lead_id}),
        flags=frozenset({PIPELINE, TIMELINE}))
    result = await context.writer.submit(op)
    stored = await store.prospects.get(prospect.prospect_id) if result.saved else prospect
    return Conversion(client_id, username, stored, result)
