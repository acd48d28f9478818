"""``client_readiness`` (reference §2): one document per client, keyed by ``client_id``.

The original's only writer (``update_client_readiness``) sets all eight fields on every save,
with ``investment_ready`` derived and ``updated_at``/``account_creation_date`` as datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.readiness import ClientReadiness
from ..spec import CollectionSpec
from .fields import Doc, flag, indexed, moment, text


class ReadinessCodec:
    spec = CollectionSpec(
        name="client_readiness",
        key=indexed("client_id", "text"),
        fields=(indexed("investment_ready", "bool"), indexed("updated_at", "datetime", index=False)),
    )

    def decode(self, doc: Doc) -> ClientReadiness:
        return ClientReadiness(
            client_id=text(doc, "client_id"),
            aml_kyc_completed=flag(doc, "aml_kyc_completed"),
            agreement_signed=flag(doc, "agreement_signed"),
            account_creation_date=moment(doc, "account_creation_date"),
            notes=text(doc, "notes"),
            updated_at=moment(doc, "updated_at"),
            updated_by=text(doc, "updated_by"),
        )

    def encode(self, r: ClientReadiness) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "client_id": r.client_id,
            "aml_kyc_completed": r.aml_kyc_completed,
            "agreement_signed": r.agreement_signed,
            "account_creation_date": r.account_creation_date,
            "investment_ready": r.investment_ready,
            "notes": r.notes,
            "updated_by": r.updated_by or "system",
        }
        if r.account_creation_date is None:
            del doc["account_creation_date"]
        return doc

    def key_of(self, r: ClientReadiness) -> str:
        return r.client_id

    def stamp_update(self, changes: dict[str, Any], now: datetime) -> None:
        changes["updated_at"] = now

    def stamp_create(self, doc: dict[str, Any], now: datetime) -> None:
        doc.setdefault("account_creation_date", now)
        doc["updated_at"] = now
