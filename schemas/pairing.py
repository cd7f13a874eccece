from __future__ import annotations

from marshmallow import fields

from schemas.common import Instant, PageSchema, ResponseSchema


class InviteSchema(ResponseSchema):
    code = fields.String(dump_only=True)
    created_at = Instant(dump_only=True)
    expires_at = Instant(dump_only=True)


class InvitePageSchema(PageSchema):
    items = fields.List(fields.Nested(InviteSchema), required=True)


class PartnerSchema(ResponseSchema):
    id = fields.UUID(dump_only=True, allow_none=True)
    display_name = fields.String(dump_only=True, allow_none=True)
    timezone = fields.String(dump_only=True, allow_none=True)


class CoupleSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    since = Instant(dump_only=True)
    me = fields.Nested(PartnerSchema, dump_only=True)
    partner = fields.Nested(PartnerSchema, dump_only=True)
