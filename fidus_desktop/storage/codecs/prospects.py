"""``crm_prospects`` (reference §3): keyed by ``prospect_id`` or, for older writers, ``id``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.people import KycStatus
from ...domain.prospects import Prospect, Stage
from ...domain.values import ZERO, iso_utc
from ..spec import CollectionSpec
from .fields import Doc, as_double, flag, identifier, indexed, moment, money, refusal, text, whole_document


def _stage_forms(stage: object) -> tuple[object, ...]:
    """Raw ``stage`` values that ``Stage.read`` reads as ``stage``."""
    value = Stage.read(stage)
    forms: tuple[object, ...] = (value.value, value.value.capitalize())
    if value is Stage.QUALIFIED:
        forms += ("qualified_lead",)
    if value is Stage.LEAD:
        forms += (None, "")  # a prospect without a stage is a new lead
    return forms


class ProspectCodec:
    spec = CollectionSpec(
        name="crm_prospects",
        key=indexed("prospect_id", "text", "prospect_id", "id"),
        fields=(
            indexed("stage", "text", reader=lambda d: Stage.read(d.get("stage")).value,
                    raw_values=_stage_forms),
            indexed("name", "text"),
            indexed("email", "text"),
            indexed("created_at", "datetime"),
            indexed("updated_at", "datetime"),
            indexed("converted_to_client", "bool"),
            indexed("client_id", "text"),
            # Why the codec refuses the document (none when it reads it): the pipeline's counts read
            # query columns, and must leave out exactly what every other reader leaves out.
            whole_document("untrusted", lambda d: refusal(ProspectCodec().decode, d)),
        ),
        compound_indexes=((("stage", 1), ("created_at", -1)),),
    )

    def decode(self, doc: Doc) -> Prospect:
        return Prospect(
            prospect_id=identifier(doc, "prospect_id", "id"),
            name=text(doc, "name"),
            email=text(doc, "email"),
            phone=text(doc, "phone"),
            stage=Stage.read(doc.get("stage")),
            notes=text(doc, "notes"),
            source=text(doc, "source"),
            aml_kyc_status=KycStatus.read(doc.get("aml_kyc_status")),
            converted_to_client=flag(doc, "converted_to_client"),
            client_id=text(doc, "client_id"),
            estimated_value=money(doc, "estimated_value", low=ZERO),
            created_at=moment(doc, "created_at"),
            updated_at=moment(doc, "updated_at"),
        )

    def encode(self, prospect: Prospect) -> dict[str, Any]:
        doc: dict[str, Any] = {
            # The API writes prospect_id, the React board addresses cards by id: write both.
            "prospect_id": prospect.prospect_id,
            "id": prospect.prospect_id,
            "name": prospect.name,
            "email": prospect.email,
            "phone": prospect.phone,
            "stage": prospect.stage.value,
            "notes": prospect.notes,
            "aml_kyc_status": prospect.aml_kyc_status.value,
            "converted_to_client": prospect.converted_to_client,
            "client_id": prospect.client_id,
        }
        if prospect.source:
            doc["source"] = prospect.source
        if prospect.estimated_value is not None:
            doc["estimated_value"] = as_double(prospect.estimated_value)
        if prospect.created_at:
            doc["created_at"] = prospect.created_at
        return doc

    def key_of(self, prospect: Prospect) -> str:
        return prospect.prospect_id

    def stamp_update(self, changes: dict[str, Any], now: datetime) -> None:
        # The original writes an ISO string after any edit (a datetime only at creation).
        changes["updated_at"] = iso_utc(now)
        if "stage" in changes:
            changes["stage_changed_at"] = iso_utc(now)

    def stamp_create(self, doc: dict[str, Any], now: datetime) -> None:
        doc.setdefault("created_at", now)
        doc["updated_at"] = now
        doc.setdefault("google_drive_folder", "")
