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


def _kyc_forms(status: object) -> tuple[object, ...]:
    value = KycStatus.read(status)
    forms: tuple[object, ...] = (value.value, value.value.upper())
    return forms + ((None, "") if value is KycStatus.PENDING else ())


def _ids(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value if v) if isinstance(value, list | tuple) else ()


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
            # Reminders falling due: the few prospects with one set, then their due dates.
            indexed("remind", "bool", "next_action_remind"),
            # The pipeline's columns and filters. The pipeline filters and sorts its in-memory
            # index (fidus_desktop/crm/index.py), built from these; an index on each would slow
            # every write (an import of 10,000 rows) for queries nobody runs against the store.
            indexed("source", "text", index=False),
            indexed("owner", "text", index=False),
            indexed("kyc_status", "text", "aml_kyc_status", reader=lambda d: KycStatus.read(d.get("aml_kyc_status")).value,
                    raw_values=_kyc_forms, index=False),
            indexed("estimated_value", "real", index=False),
            indexed("next_action_due", "datetime", index=False),
            indexed("phone", "text", index=False),
            indexed("notes", "text", index=False),
            indexed("next_action", "text", index=False),
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
            owner=text(doc, "owner"),
            next_action=text(doc, "next_action"),
            next_action_due=moment(doc, "next_action_due"),
            remind=flag(doc, "next_action_remind"),
            original_lead_id=text(doc, "_original_lead_id"),
            merged_ids=_ids(doc.get("merged_prospect_ids")),
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
        # FIDUS Desktop's own fields: written only when they hold something.
        extra = {"owner": prospect.owner, "next_action": prospect.next_action,
                 "next_action_due": prospect.next_action_due, "next_action_remind": prospect.remind or None,
                 "_original_lead_id": prospect.original_lead_id,
                 "merged_prospect_ids": list(prospect.merged_ids) or None}
        doc.update({k: v for k, v in extra.items() if v})
        return doc

    def encode_new(self, prospect: Prospect) -> dict[str, Any]:
        """A new prospect as the original's ``POST /crm/prospects`` writes it: ``prospect_id`` (no
        ``id``), no AML/KYC status until one is recorded, ``google_drive_folder: ""``; money as a
        plain double."""
        doc = self.encode(prospect)
        del doc["id"]
        if prospect.aml_kyc_status is KycStatus.PENDING:
            del doc["aml_kyc_status"]
        doc["google_drive_folder"] = ""
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
