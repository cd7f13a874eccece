from __future__ import annotations

from marshmallow import fields, validate

from api.accounts.models import PLATFORMS, ROLES
from api.i18n import SUPPORTED
from api.web.models import END_REASONS
from schemas.agreements import ExportAgreementSchema
from schemas.commitments import ExportCommitmentSchema
from schemas.common import (
    LOCALE_RE,
    Closed,
    Email,
    Instant,
    PageSchema,
    ResponseSchema,
    StrictSchema,
    Timezone,
)
from schemas.gratitude import ExportGratitudeSchema
from schemas.journal import JournalEntrySchema
from schemas.notifications import ExportNotificationSchema, NotificationSettingsSchema
from schemas.prompts import ExportPromptSchema, ExportRoundSchema
from schemas.reassurance import ExportReassuranceSchema
from schemas.therapists import ExportGrantSchema


class UserSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    email = fields.String(dump_only=True, allow_none=True)
    display_name = fields.String(dump_only=True)
    role = Closed(ROLES, dump_only=True)
    timezone = fields.String(dump_only=True)
    locale = fields.String(dump_only=True)
    effective_locale = fields.String(
        dump_only=True,
        metadata={
            "enum": list(SUPPORTED),
            "description": "The supported locale Steady writes to you in, resolved from "
            "`locale` (es-MX → es, pt → pt-BR, anything unknown → en)",
        },
    )
    created_at = Instant(dump_only=True)


class UserUpdateSchema(StrictSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=80))
    timezone = Timezone()
    locale = fields.String(validate=[validate.Length(min=2, max=35), validate.Regexp(LOCALE_RE)])


class DeviceCreateSchema(StrictSchema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=4096))
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = fields.String(validate=validate.Length(min=1, max=50), allow_none=True)


class DeviceSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    platform = Closed(PLATFORMS, dump_only=True)
    app_version = fields.String(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    last_seen_at = Instant(dump_only=True)


class DevicePageSchema(PageSchema):
    items = fields.List(fields.Nested(DeviceSchema), required=True)


class ExportSessionSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    device_name = fields.String(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    last_used_at = Instant(dump_only=True)
    ended_at = Instant(dump_only=True, allow_none=True, attribute="revoked_at")


class ExportWorkspaceSessionSchema(ResponseSchema):
    """A sign-in to the therapist workspace (never its token)."""

    id = fields.UUID(dump_only=True)
    created_at = Instant(dump_only=True)
    last_seen_at = Instant(dump_only=True)
    ended_at = Instant(dump_only=True, allow_none=True)
    end_reason = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"enum": [*END_REASONS, None]},
    )


class ExportPartnerSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    display_name = fields.String(dump_only=True)


class ExportCoupleSchema(ResponseSchema):
    """A couple the user has been in, current or ended (`api.flows.CoupleExport`)."""

    id = fields.UUID(dump_only=True)
    since = Instant(dump_only=True)
    ended_at = Instant(dump_only=True, allow_none=True)
    partner = fields.Nested(ExportPartnerSchema, dump_only=True, allow_none=True)
    rounds = fields.List(fields.Nested(ExportRoundSchema), dump_only=True)
    gratitude = fields.List(fields.Nested(ExportGratitudeSchema), dump_only=True)
    commitments = fields.List(fields.Nested(ExportCommitmentSchema), dump_only=True)
    agreements = fields.List(
        fields.Nested(ExportAgreementSchema),
        dump_only=True,
        metadata={"description": "The user's own agreements, with their check-ins and notices"},
    )
    reassurance = fields.List(
        fields.Nested(ExportReassuranceSchema),
        dump_only=True,
        metadata={
            "description": "Requests the user asked (with the partner's answer) and was asked "
            "(with their own answer)"
        },
    )
    therapist_grants = fields.List(fields.Nested(ExportGrantSchema), dump_only=True)


class ExportSchema(ResponseSchema):
    """Everything the user wrote or that is about them (`api.flows.UserExport`); sections grow
    with the product."""

    user = fields.Nested(UserSchema, required=True)
    notification_settings = fields.Nested(NotificationSettingsSchema, required=True)
    sessions = fields.List(fields.Nested(ExportSessionSchema), required=True)
    devices = fields.List(fields.Nested(DeviceSchema), required=True)
    notifications = fields.List(fields.Nested(ExportNotificationSchema), required=True)
    couples = fields.List(fields.Nested(ExportCoupleSchema), required=True)
    prompts = fields.List(fields.Nested(ExportPromptSchema), required=True)
    workspace_sessions = fields.List(
        fields.Nested(ExportWorkspaceSessionSchema),
        required=True,
        metadata={"description": "Sign-ins to the therapist workspace (therapists only)"},
    )
    journal = fields.List(
        fields.Nested(JournalEntrySchema),
        required=True,
        metadata={"description": "Your journal, oldest first, shared or not"},
    )


__all__ = ["Email"]
