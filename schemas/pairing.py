from __future__ import annotations

from marshmallow import fields

from schemas.common import PageSchema, StrictSchema


class InviteSchema(StrictSchema):
    code = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)


class InvitePageSchema(PageSchema):
    items = fields.List(fields.Nested(InviteSchema), required=True)


class PartnerSchema(StrictSchema):
    id = fields.UUID(dump_only=True, allow_none=True)
    display_name = fields.String(dump_only=True, allow_none=True)
    timezone = fields.String(dump_only=True, allow_none=True)


class CoupleSchema(StrictSchema):
    id = fields.UUID(dump_only=True)
    since = fields.DateTime(dump_only=True)
    me = fields.Nested(PartnerSchema, dump_only=True)
    partner = fields.Nested(PartnerSchema, dump_only=True)
