"""The referral module's ``clients`` (reference §2): keyed by ``_id``, with ``client_id = str(_id)``.

They are separate from the ``users`` login accounts; investments may point at either.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from ...domain.people import Client, KycStatus
from ..spec import CollectionSpec
from .fields import DatetimeStamps, Doc, indexed, moment, text


class ReferralClientCodec(DatetimeStamps):
    spec = CollectionSpec(
        name="clients",
        key=indexed("client_id", "text", "client_id", "_id"),
        fields=(
            indexed("email", "text"),
            indexed("status", "text"),
            indexed("name", "text", index=False),
            indexed("phone", "text", index=False),
            indexed("kyc_status", "text", "kyc_status", index=False,
                    reader=lambda d: KycStatus.read(d.get("kyc_status")).value),
            indexed("created_at", "datetime", index=False),
        ),
    )

    def decode(self, doc: Doc) -> Client:
        return Client(
            client_id=text(doc, "client_id", "_id"),
            name=text(doc, "name"),
            email=text(doc, "email"),
            phone=text(doc, "phone"),
            status=text(doc, "status") or "active",
            kyc_status=KycStatus.read(doc.get("kyc_status")),
            created_at=moment(doc, "created_at", "referral_date"),
            notes=text(doc, "notes"),
            origin="clients",
            referred_by_name=text(doc, "referred_by_name"),
            merged_into=text(doc, "merged_into"),
        )

    def encode(self, client: Client) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "client_id": client.client_id,
            "name": client.name,
            "email": client.email,
            "phone": client.phone,
            "status": client.status,
            "kyc_status": client.kyc_status.value,
        }
        if ObjectId.is_valid(client.client_id):
            doc["_id"] = ObjectId(client.client_id)
        for name, value in (("notes", client.notes), ("referred_by_name", client.referred_by_name),
                            ("merged_into", client.merged_into)):
            if value:
                doc[name] = value
        if client.created_at:
            doc["created_at"] = client.created_at
        return doc

    def key_of(self, client: Client) -> str:
        return client.client_id
