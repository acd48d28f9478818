"""Clients are ``users`` documents with ``type: "client"`` (reference §2)."""

from __future__ import annotations

from typing import Any

from ...domain.people import Client, KycStatus
from ..spec import CollectionSpec
from .fields import DatetimeStamps, Doc, flag, identifier, indexed, moment, text


def _kyc(doc: Doc) -> KycStatus:
    if doc.get("aml_kyc_status"):
        return KycStatus.read(doc["aml_kyc_status"])
    # Self-registration records a completed document check as a bare flag.
    return KycStatus.APPROVED if flag(doc, "kyc_completed") else KycStatus.PENDING


def _kyc_forms(status: object) -> tuple[object, ...]:
    """Raw ``aml_kyc_status`` values read as ``status``. A client whose only KYC record is the
    self-registration flag ``kyc_completed`` is not expressible here and matches as pending."""
    value = KycStatus.read(status)
    forms: tuple[object, ...] = (value.value, value.value.upper())
    return forms + ((None, "") if value is KycStatus.PENDING else ())


class ClientCodec(DatetimeStamps):
    spec = CollectionSpec(
        name="users",
        key=indexed("client_id", "text", "id", "user_id"),
        fields=(
            indexed("name", "text"),
            indexed("email", "text"),
            indexed("status", "text"),
            indexed("kyc_status", "text", "aml_kyc_status", reader=lambda d: _kyc(d).value,
                    raw_values=_kyc_forms),
            indexed("created_at", "datetime", "created_at", "createdAt"),
            # The original checks usernames for uniqueness before every insert (no unique index).
            indexed("username", "text"),
            indexed("phone", "text", index=False),
        ),
        scope=(("type", "client"),),
    )

    def decode(self, doc: Doc) -> Client:
        return Client(
            client_id=identifier(doc, "id", "user_id"),
            name=text(doc, "name"),
            email=text(doc, "email"),
            username=text(doc, "username"),
            phone=text(doc, "phone"),
            status=text(doc, "status") or "active",
            kyc_status=_kyc(doc),
            created_at=moment(doc, "created_at", "createdAt"),
            source_prospect_id=text(doc, "source_prospect_id", "prospect_id"),
            notes=text(doc, "notes"),
            merged_ids=tuple(str(v) for v in doc.get("merged_client_ids") or () if v)
            if isinstance(doc.get("merged_client_ids"), list) else (),
            merged_into=text(doc, "merged_into"),
        )

    def encode(self, client: Client) -> dict[str, Any]:
        # No password field of any kind: clients sign in to the web platform, which owns that.
        doc: dict[str, Any] = {
            "id": client.client_id,
            "user_id": client.client_id,
            "username": client.username,
            "name": client.name,
            "email": client.email,
            "phone": client.phone,
            "type": "client",
            "user_type": "client",
            "status": client.status,
            "aml_kyc_status": client.kyc_status.value,
            "notes": client.notes,
        }
        if client.created_at:
            doc["created_at"] = client.created_at
        if client.merged_ids:
            doc["merged_client_ids"] = list(client.merged_ids)
        if client.merged_into:
            doc["merged_into"] = client.merged_into
        if client.source_prospect_id:
            doc["created_from_prospect"] = True
            doc["prospect_id"] = client.source_prospect_id
            doc["source_prospect_id"] = client.source_prospect_id
        return doc

    def key_of(self, client: Client) -> str:
        return client.client_id
