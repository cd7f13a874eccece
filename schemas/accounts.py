from __future__ import annotations

from marshmallow import fields, validate

from api.accounts.models import PLATFORMS
from schemas.common import LOCALE_RE, Email, PageSchema, StrictSchema, Timezone


class UserSchema(StrictSchema):
    id = fields.UUID(dump_only=True)
    email = fields.String(dump_only=True, allow_none=True)
    display_name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    timezone = fields.String(dump_only=True)
    locale = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class UserUpdateSchema(StrictSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=80))
    timezone = Timezone()
    locale = fields.String(validate=[validate.Length(max=35), validate.Regexp(LOCALE_RE)])


class DeviceCreateSchema(StrictSchema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=4096))
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = fields.String(validate=validate.Length(min=1, max=50), allow_none=True)


class DeviceSchema(StrictSchema):
    id = fields.UUID(dump_only=True)
    platform = fields.String(dump_only=True)
    app_version = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    last_seen_at = fields.DateTime(dump_only=True)


class DevicePageSchema(PageSchema):
    items = fields.List(fields.Nested(DeviceSchema), required=True)


class ExportSchema(StrictSchema):
    """Everything the user wrote or that is about them; sections grow with the product."""

    user = fields.Nested(UserSchema, required=True)
    sessions = fields.List(fields.Dict(), required=True)
    devices = fields.List(fields.Nested(DeviceSchema), required=True)
    couples = fields.List(fields.Dict(), required=True)
    notification_settings = fields.Dict(required=True)
    notifications = fields.List(fields.Dict(), required=True)
    prompts = fields.List(fields.Dict(), required=True)


__all__ = ["Email"]
