"""Client records: the ``users`` of type client and the referral module's ``clients``; their
contact data, AML/KYC status and readiness (``client_readiness``).

New clients are written as the original's ``POST /admin/users/create`` writes them (``id`` =
``user_id`` = ``client_<8 hex>``, username, name, e-mail, phone, ``type``/``user_type``,
``status: active``, a datetime ``created_at``, notes), without its temporary password (no
password of any kind is written) and stock photo, with the initial readiness record the original
creates beside it. A client is deactivated (``status: inactive``), never deleted while an
investment points at it; a deletion needs the window's confirmation and leaves an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..domain.contact import MAX_NOTES, clean_text, email_problem, international_phone, name_problem, phone_problem
from ..domain.people import Client, KycStatus
from ..domain.readiness import ClientReadiness
from ..domain.values import utc_now
from ..errors import ValidationError
from ..runtime.operations import Audit, Operation
from ..runtime.writer import WriteResult
from ..services.changes import TIMELINE
from ..storage.base import Repository
from ..storage.query import Eq, Query
from ..storage.writes import Delete, Insert
from .conversion import free_username, new_client_id
from .duplicates import DuplicateIndex
from .prospects import DuplicatesFound, read_or, store_of
from .timeline import EventKind

if TYPE_CHECKING:
    from ..app_context import AppContext
    from ..storage.store import FundStore

FLAGS = frozenset({TIMELINE})


@dataclass(frozen=True, slots=True)
class ClientDraft:
    name: str
    email: str
    phone: str = ""
    notes: str = ""
    kyc: KycStatus = KycStatus.PENDING


def client_problems(name: str, email: str, phone: str, notes: str = "") -> dict[str, str]:
    problems = {}
    for field, problem in (("name", name_problem(clean_text(name))), ("email", email_problem(clean_text(email))),
                           ("phone", phone_problem(clean_text(phone), required=False))):
        if problem:
            problems[field] = problem
    if len(notes) > MAX_NOTES:
        problems["notes"] = f"Notes have at most {MAX_NOTES:,} characters."
    return problems


def repository(store: FundStore, client: Client) -> Repository[Client]:
    return store.referral_clients if client.origin == "clients" else store.clients


def collection_of(client: Client) -> str:
    return "clients" if client.origin == "clients" else "users"


async def create_client(context: AppContext, draft: ClientDraft, *, duplicates: DuplicateIndex | None = None,
                        allow_duplicates: bool = False) -> tuple[Client, WriteResult]:
    problems = client_problems(draft.name, draft.email, draft.phone, draft.notes)
    if problems:
        raise ValidationError("The client was not saved: " + " ".join(problems.values()), problems)
    if duplicates is not None and not allow_duplicates:
        found = duplicates.find(draft.email, draft.phone)
        if found:
            raise DuplicatesFound(found)
    store = store_of(context)
    now = utc_now()
    client_id = await new_client_id(store)
    username = await free_username(store, draft.email)
    notes = clean_text(draft.notes)
    user: dict[str, Any] = {
        "id": client_id, "user_id": client_id, "username": username, "name": clean_text(draft.name),
        "email": clean_text(draft.email), "phone": international_phone(draft.phone), "type": "client",
        "user_type": "client", "status": "active", "created_at": now, "notes": notes,
    }
    if draft.kyc is not KycStatus.PENDING:
        user["aml_kyc_status"] = draft.kyc.value
    readiness = {"client_id": client_id, "aml_kyc_completed": draft.kyc.is_cleared, "agreement_signed": False,
                 "account_creation_date": now, "investment_ready": False, "notes": f"Created by admin - {notes}",
                 "updated_at": now, "updated_by": context.writer.actor}
    op = Operation("client.create", (Insert("users", user), Insert("client_readiness", readiness)), Audit(
        activity_type=str(EventKind.CLIENT_CREATED), description=f"Client {user['name']} created (username {username})",
        client_id=client_id, details={"username": username}), flags=FLAGS)
    result = await context.writer.submit(op)
    client = Client(client_id=client_id, name=user["name"], email=user["email"], username=username,
                    phone=user["phone"], kyc_status=draft.kyc, created_at=now, notes=notes)
    if result.saved:
        client = await store.clients.get(client_id)
    return client, result


async def save_client(context: AppContext, edited: Client, *, duplicates: DuplicateIndex | None = None,
                      allow_duplicates: bool = False) -> tuple[Client, WriteResult | None]:
    store = store_of(context)
    repo = repository(store, edited)
    read = repo.as_read(edited)
    problems = client_problems(edited.name, edited.email, edited.phone, edited.notes)
    if problems:
        raise ValidationError("The changes were not saved: " + " ".join(problems.values()), problems)
    edited = edited.evolve(name=clean_text(edited.name), email=clean_text(edited.email),
                           phone=international_phone(edited.phone), notes=clean_text(edited.notes))
    names = ("name", "email", "phone", "status", "kyc_status", "notes")
    changes = {n: (_plain(getattr(read, n)), _plain(getattr(edited, n))) for n in names
               if getattr(read, n) != getattr(edited, n)}
    if not changes:
        return read, None
    if duplicates is not None and not allow_duplicates and ("email" in changes or "phone" in changes):
        found = duplicates.find(edited.email, edited.phone, exclude=(edited.client_id, edited.source_prospect_id))
        if found:
            raise DuplicatesFound(found)
    patch = repo.patch_of(edited, utc_now())
    if patch is None:
        return read, None
    if set(changes) == {"status"}:
        kind, text = EventKind.CLIENT_STATUS, f"{edited.name} {'reactivated' if edited.active else 'deactivated'}"
    elif set(changes) == {"kyc_status"}:
        kind, text = EventKind.KYC, f"AML/KYC recorded as {edited.kyc_status.value}"
    else:
        kind, text = EventKind.CLIENT_EDIT, "Edited " + ", ".join(changes)
    op = Operation("client.update", (patch,), Audit(
        activity_type=str(kind), description=text, client_id=edited.client_id,
        details={"changes": {k: {"from": a, "to": b} for k, (a, b) in changes.items()},
                 "collection": collection_of(edited)}), flags=FLAGS)
    result = await context.writer.submit(op)
    if result.saved:
        return await repo.get(edited.client_id), result
    return edited, result


async def set_active(context: AppContext, client: Client, active: bool) -> tuple[Client, WriteResult | None]:
    return await save_client(context, client.evolve(status="active" if active else "inactive"), allow_duplicates=True)


async def delete_client(context: AppContext, client: Client, *, confirmed_name: str) -> WriteResult:
    """Delete a client record: the manager must type its name, and nothing may point at it."""
    if clean_text(confirmed_name) != client.name:
        raise ValidationError("Type the client's name exactly to confirm.", {"confirm": "The name does not match."})
    store = store_of(context)
    invested = await store.investments.count(Query(where=(Eq("client_id", client.client_id),)))
    if invested:
        raise ValidationError(f"{client.name} has {invested} investment(s): a client with investments is "
                              "deactivated, never deleted.", {"status": "Deactivate instead."})
    read = repository(store, client).as_read(client)
    op = Operation("client.delete", (Delete(collection_of(client), client.client_id,
                                            {"name": read.name, "email": read.email}),), Audit(
        activity_type=str(EventKind.CLIENT_DELETED), description=f"Client {client.name} deleted",
        client_id=client.client_id, details={"name": client.name, "email": client.email, "phone": client.phone,
                                             "collection": collection_of(client)}), flags=FLAGS)
    return await context.writer.submit(op)


async def readiness_of(context: AppContext, client_id: str) -> ClientReadiness | None:
    return await store_of(context).readiness.find_one(client_id)


async def save_readiness(context: AppContext, client_id: str, *, aml_kyc_completed: bool, agreement_signed: bool,
                         notes: str = "", known: ClientReadiness | None = None) -> tuple[ClientReadiness, WriteResult | None]:
    """The client's readiness, as the original's ``update_client_readiness`` writes it (all
    fields on each save; ``investment_ready`` = KYC completed and agreement signed)."""
    store = store_of(context)
    notes = clean_text(notes)
    if len(notes) > MAX_NOTES:
        raise ValidationError("The notes are too long.", {"notes": f"At most {MAX_NOTES:,} characters."})
    current = await read_or(store.readiness.find_one(client_id), known) if known is None or known.is_stored \
        else known
    now = utc_now()
    actor = context.writer.actor
    wanted = ClientReadiness(client_id=client_id, aml_kyc_completed=aml_kyc_completed,
                             agreement_signed=agreement_signed, notes=notes, updated_by=actor)
    if current is None or not current.is_stored:
        doc = store.readiness.new_document(wanted, now)
        write: Any = Insert("client_readiness", doc)
    else:
        if (current.aml_kyc_completed, current.agreement_signed, current.notes) == (aml_kyc_completed,
                                                                                    agreement_signed, notes):
            return current, None
        write = store.readiness.patch_of(current.evolve(aml_kyc_completed=aml_kyc_completed,
                                                        agreement_signed=agreement_signed, notes=notes,
                                                        updated_by=actor), now)
    ready = aml_kyc_completed and agreement_signed
    op = Operation("client.readiness", (write,), Audit(
        activity_type=str(EventKind.READINESS),
        description=f"Readiness: AML/KYC {'done' if aml_kyc_completed else 'not done'}, agreement "
                    f"{'signed' if agreement_signed else 'not signed'} ({'ready' if ready else 'not ready'} to invest)",
        client_id=client_id, details={"investment_ready": ready}), flags=FLAGS)
    result = await context.writer.submit(op)
    stored = await store.readiness.find_one(client_id) if result.saved else None
    return stored or wanted, result


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, KycStatus) else value


async def add_client_note(context: AppContext, client: Client, text: str) -> WriteResult:
    text = clean_text(text)
    if not text:
        raise ValidationError("The note is empty.", {"note": "Write something first."})
    if len(text) > MAX_NOTES:
        raise ValidationError("The note is too long.", {"note": f"At most {MAX_NOTES:,} characters."})
    op = Operation("client.note", (), Audit(activity_type=str(EventKind.NOTE), description=text.splitlines()[0][:200],
                                            client_id=client.client_id, prospect_id=client.source_prospect_id,
                                            details={"text": text}), flags=FLAGS)
    return await context.writer.submit(op)
