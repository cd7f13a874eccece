from __future__ import annotations

from marshmallow import fields, validate

from api.accounts.models import ROLES
from schemas.accounts import UserSchema
from schemas.common import (
    Closed,
    Email,
    Instant,
    PageSchema,
    ResponseSchema,
    StrictSchema,
    Timezone,
)

Password = lambda: fields.String(  # noqa: E731
    required=True, validate=validate.Length(min=10, max=256), load_only=True
)
DeviceName = lambda: fields.String(  # noqa: E731
    validate=validate.Length(min=1, max=100), allow_none=True, load_default=None
)


class RegisterSchema(StrictSchema):
    email = Email(required=True)
    password = Password()
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    timezone = Timezone(required=True)
    role = fields.String(load_default="partner", validate=validate.OneOf(ROLES))
    device_name = DeviceName()


class LoginSchema(StrictSchema):
    # Any string up to the limit: a malformed email must answer like a wrong password.
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=256), load_only=True
    )
    device_name = DeviceName()


class RefreshSchema(StrictSchema):
    refresh_token = fields.String(
        required=True, validate=validate.Length(min=1, max=512), load_only=True
    )


class TokenPairSchema(ResponseSchema):
    user = fields.Nested(UserSchema, dump_only=True)
    access_token = fields.String(dump_only=True)
    refresh_token = fields.String(dump_only=True)
    token_type = Closed(["Bearer"], dump_only=True)
    expires_in = fields.Integer(dump_only=True)


class SessionSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    device_name = fields.String(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    last_used_at = Instant(dump_only=True)
    current = fields.Boolean(dump_only=True)


class SessionPageSchema(PageSchema):
    items = fields.List(fields.Nested(SessionSchema), required=True)
