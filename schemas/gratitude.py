from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import Instant, PageQueryArgsSchema, PageSchema, ResponseSchema, StrictSchema


class GratitudeSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    author_id = fields.UUID(dump_only=True)
    recipient_id = fields.UUID(dump_only=True, allow_none=True)
    text = fields.String(dump_only=True)
    reaction = fields.String(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    acknowledged_at = Instant(dump_only=True, allow_none=True)


class GratitudeCreateSchema(StrictSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class GratitudeAcknowledgeSchema(StrictSchema):
    reaction = fields.String(
        validate=validate.Length(min=1, max=32), allow_none=True, load_default=None
    )


class GratitudeQueryArgsSchema(PageQueryArgsSchema):
    direction = fields.String(validate=validate.OneOf(["sent", "received"]))


class GratitudePageSchema(PageSchema):
    items = fields.List(fields.Nested(GratitudeSchema), required=True)


class ExportGratitudeSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    direction = fields.String(dump_only=True, metadata={"enum": ["sent", "received"]})
    text = fields.String(dump_only=True)
    reaction = fields.String(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    acknowledged_at = Instant(dump_only=True, allow_none=True)
