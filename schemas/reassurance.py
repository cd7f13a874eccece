from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import Instant, JsonInteger, PageSchema, ResponseSchema, StrictSchema


class CoupleSettingsUpdateSchema(StrictSchema):
    """What the partners share and either may change (PUT replaces)."""

    reassurance_daily_limit = JsonInteger(
        required=True,
        validate=validate.Range(min=1, max=10),
        metadata={"description": "Reassurance requests each partner may make per local day"},
    )


class CoupleSettingsSchema(ResponseSchema):
    reassurance_daily_limit = fields.Integer(dump_only=True)


class ReassuranceAnswerSchema(ResponseSchema):
    text = fields.String(dump_only=True)
    answered_by = fields.UUID(dump_only=True)
    created_at = Instant(dump_only=True)


class ReassuranceRequestSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    asker_id = fields.UUID(dump_only=True)
    note = fields.String(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    answered_at = Instant(dump_only=True, allow_none=True)
    answer = fields.Nested(
        ReassuranceAnswerSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The partner's answer in their own words; null until then"},
    )
    withdrawn_at = Instant(dump_only=True, allow_none=True)


class ReassuranceRequestCreateSchema(StrictSchema):
    note = fields.String(
        validate=validate.Length(min=1, max=280), allow_none=True, load_default=None
    )


class ReassuranceAnswerCreateSchema(StrictSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ReassuranceRequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReassuranceRequestSchema), required=True)


class ExportReassuranceSchema(ResponseSchema):
    """A request as one partner exports it (`api.reassurance.service.ExportedRequest`)."""

    direction = fields.String(dump_only=True, metadata={"enum": ["asked", "received"]})
    id = fields.UUID(dump_only=True, attribute="request.id")
    note = fields.String(dump_only=True, allow_none=True, attribute="request.note")
    created_at = Instant(dump_only=True, attribute="request.created_at")
    answered_at = Instant(dump_only=True, allow_none=True, attribute="request.answered_at")
    withdrawn_at = Instant(dump_only=True, allow_none=True, attribute="request.withdrawn_at")
    answer = fields.Nested(
        ReassuranceAnswerSchema, dump_only=True, allow_none=True, attribute="request.answer"
    )
