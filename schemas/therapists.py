from __future__ import annotations

from marshmallow import fields, validate

from api.prompts.models import PROMPT_KINDS
from api.therapists.models import GRANT_STATUSES, SCOPES
from api.therapists.service import COMPLETION_ROUNDS
from schemas.common import (
    Closed,
    Instant,
    LocalTime,
    PageQueryArgsSchema,
    PageSchema,
    ResponseSchema,
    StrictSchema,
    Timezone,
)
from schemas.gratitude import GratitudeSchema
from schemas.prompts import PROMPT_LOCALE_DOC, TIME_DOC, Days, PromptSchema, ScheduleSchema


class LinkCodeSchema(ResponseSchema):
    code = fields.String(dump_only=True)
    created_at = Instant(dump_only=True)
    expires_at = Instant(dump_only=True)


class TherapistRefSchema(ResponseSchema):
    id = fields.UUID(dump_only=True, allow_none=True)
    display_name = fields.String(dump_only=True, allow_none=True)


class GrantSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    therapist = fields.Nested(TherapistRefSchema, dump_only=True)
    scope = fields.String(dump_only=True, metadata={"enum": list(SCOPES)})
    status = fields.String(dump_only=True, metadata={"enum": list(GRANT_STATUSES)})
    approvals = fields.List(fields.UUID(), dump_only=True)
    created_at = Instant(dump_only=True)
    activated_at = Instant(dump_only=True, allow_none=True)
    revoked_at = Instant(dump_only=True, allow_none=True)


class GrantCreateSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    scope = fields.String(load_default="summary", validate=validate.OneOf(SCOPES))


class GrantPageSchema(PageSchema):
    items = fields.List(fields.Nested(GrantSchema), required=True)


class AccessLogEntrySchema(ResponseSchema):
    at = Instant(dump_only=True)
    # Not an enum: every therapist feature adds actions, and a client must not fail on one.
    action = fields.String(
        dump_only=True,
        metadata={"description": "What was asked for, as `area.verb` (`rounds.read`, ...)"},
    )
    path = fields.String(dump_only=True)
    outcome = fields.String(dump_only=True, metadata={"enum": ["allowed", "denied"]})


class AccessLogPageSchema(PageSchema):
    items = fields.List(fields.Nested(AccessLogEntrySchema), required=True)


class CouplePartnerSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    display_name = fields.String(dump_only=True)


class TherapistCoupleSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    partners = fields.List(fields.Nested(CouplePartnerSchema), dump_only=True)
    scope = fields.String(dump_only=True, metadata={"enum": list(SCOPES)})
    since = Instant(dump_only=True)


class TherapistCouplePageSchema(PageSchema):
    items = fields.List(fields.Nested(TherapistCoupleSchema), required=True)


class ContentAnswerSchema(ResponseSchema):
    user_id = fields.UUID(dump_only=True)
    text = fields.String(dump_only=True, allow_none=True)
    rating = fields.Integer(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)


class ContentPromptSchema(ResponseSchema):
    id = fields.UUID(dump_only=True, allow_none=True)
    text = fields.String(dump_only=True)
    locale = fields.String(dump_only=True, allow_none=True, metadata=PROMPT_LOCALE_DOC)


class ContentRoundSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    kind = Closed(PROMPT_KINDS, dump_only=True)
    prompt = fields.Nested(ContentPromptSchema, dump_only=True)
    asked_at = Instant(dump_only=True)
    answers = fields.List(fields.Nested(ContentAnswerSchema), dump_only=True)


class ContentRoundPageSchema(PageSchema):
    items = fields.List(fields.Nested(ContentRoundSchema), required=True)


class ContentGratitudePageSchema(PageSchema):
    items = fields.List(fields.Nested(GratitudeSchema), required=True)


class AssignmentRoundSchema(ResponseSchema):
    round_id = fields.UUID(dump_only=True)
    asked_at = Instant(dump_only=True)
    answered_by = fields.List(
        fields.UUID(),
        dump_only=True,
        metadata={"description": "The partners who answered this round", "maxItems": 2},
    )


class AssignmentSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    prompt = fields.Nested(PromptSchema, dump_only=True, allow_none=True)
    schedule = fields.Nested(ScheduleSchema, dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    completion = fields.List(
        fields.Nested(AssignmentRoundSchema),
        dump_only=True,
        metadata={
            "description": "The assignment's latest rounds, newest first, and who answered",
            "maxItems": COMPLETION_ROUNDS,
        },
    )


class AssignmentCreateSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(PROMPT_KINDS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    days = Days(load_default=None)
    time = LocalTime(required=True, metadata=TIME_DOC)
    timezone = Timezone(allow_none=True, load_default=None)


class AssignmentPageSchema(PageSchema):
    items = fields.List(fields.Nested(AssignmentSchema), required=True)


class ExportGrantSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    therapist = fields.Nested(TherapistRefSchema, dump_only=True)
    scope = fields.String(dump_only=True, metadata={"enum": list(SCOPES)})
    status = fields.String(dump_only=True, metadata={"enum": list(GRANT_STATUSES)})
    created_at = Instant(dump_only=True)
    revoked_at = Instant(dump_only=True, allow_none=True)


LISTED_GRANT_STATUSES = ("pending", "active")


class TherapistGrantQueryArgsSchema(PageQueryArgsSchema):
    status = fields.String(
        validate=validate.OneOf(LISTED_GRANT_STATUSES),
        metadata={"description": "Only grants of this status; both when left out"},
    )


class GrantPartnerSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    display_name = fields.String(dump_only=True)


class TherapistGrantSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    couple_id = fields.UUID(dump_only=True)
    partners = fields.List(fields.Nested(GrantPartnerSchema), dump_only=True)
    scope = fields.String(dump_only=True, metadata={"enum": list(SCOPES)})
    status = fields.String(dump_only=True, metadata={"enum": list(LISTED_GRANT_STATUSES)})
    approvals = fields.List(
        fields.UUID(), dump_only=True, metadata={"description": "The partners who approved"}
    )
    created_at = Instant(dump_only=True)
    activated_at = Instant(dump_only=True, allow_none=True)


class TherapistGrantPageSchema(PageSchema):
    items = fields.List(fields.Nested(TherapistGrantSchema), required=True)


class TherapistCommitmentSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    owner_id = fields.UUID(dump_only=True)
    title = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Only with the summary_and_content scope; null otherwise"},
    )
    days = fields.List(fields.String(), dump_only=True, allow_none=True)
    date = fields.Date(
        dump_only=True, allow_none=True, metadata={"description": "The day of a one-off"}
    )
    due_time = LocalTime(dump_only=True, metadata=TIME_DOC)
    timezone = fields.String(dump_only=True)
    kept_rate_28d = fields.Float(dump_only=True, allow_none=True)
    current_streak = fields.Integer(dump_only=True)
    created_at = Instant(dump_only=True)


class TherapistCommitmentPageSchema(PageSchema):
    items = fields.List(fields.Nested(TherapistCommitmentSchema), required=True)
