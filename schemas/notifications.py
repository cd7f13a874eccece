from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.notifications.models import KINDS
from api.notifications.service import public_status
from schemas.common import (
    LOCAL_TIME_DOC,
    Instant,
    LocalTime,
    PageQueryArgsSchema,
    PageSchema,
    ResponseSchema,
    StrictSchema,
)
from schemas.journal import StrictBoolean


class QuietHoursUpdateSchema(StrictSchema):
    start = LocalTime(
        required=True,
        metadata={**LOCAL_TIME_DOC, "example": "22:00"},
    )
    end = LocalTime(
        required=True,
        metadata={**LOCAL_TIME_DOC, "example": "08:00"},
    )

    @ma.validates_schema
    def _not_empty(self, data, **kwargs):
        if data.get("start") is not None and data.get("start") == data.get("end"):
            raise ma.ValidationError("start and end must differ.", "end")


# One property per kind of push, so the contract names exactly the keys the server accepts.
KindSwitchesUpdateSchema = StrictSchema.from_dict(
    {kind: StrictBoolean() for kind in KINDS}, name="KindSwitchesUpdateSchema"
)
KindSwitchesSchema = ResponseSchema.from_dict(
    {kind: fields.Boolean(dump_only=True) for kind in KINDS}, name="KindSwitchesSchema"
)


class NotificationSettingsUpdateSchema(StrictSchema):
    quiet_hours = fields.Nested(QuietHoursUpdateSchema, required=True, allow_none=True)
    daily_cap = fields.Integer(required=True, validate=validate.Range(min=1, max=50))
    kinds = fields.Nested(
        KindSwitchesUpdateSchema,
        load_default=dict,
        metadata={"description": "Push switches per kind; kinds left out are on."},
    )


class QuietHoursSchema(ResponseSchema):
    start = LocalTime(dump_only=True, metadata={**LOCAL_TIME_DOC, "example": "22:00"})
    end = LocalTime(dump_only=True, metadata={**LOCAL_TIME_DOC, "example": "08:00"})


class NotificationSettingsSchema(ResponseSchema):
    quiet_hours = fields.Nested(QuietHoursSchema, dump_only=True, allow_none=True)
    daily_cap = fields.Integer(dump_only=True)
    kinds = fields.Nested(
        KindSwitchesSchema,
        dump_only=True,
        metadata={"description": "Whether each kind is pushed; every kind is listed."},
    )


class DeliverAfter(Instant):
    """A pending notification's next attempt; null once it is no longer pending."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return obj.next_attempt_at if public_status(obj.status) == "pending" else None


class NotificationSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"enum": list(KINDS)})
    title = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    data = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True)
    status = fields.Function(
        lambda n: public_status(n.status),
        dump_only=True,
        metadata={"enum": ["pending", "sent", "skipped", "failed"], "type": "string"},
    )
    deliver_after = DeliverAfter(
        dump_only=True,
        allow_none=True,
        metadata={"description": "When a pending notification will be pushed at the earliest."},
    )
    created_at = Instant(dump_only=True)
    read_at = Instant(dump_only=True, allow_none=True)


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)


class NotificationQueryArgsSchema(PageQueryArgsSchema):
    unread = fields.Boolean(
        metadata={"description": "Only the items not read yet (true) or already read (false)"}
    )


class UnreadCountSchema(ResponseSchema):
    count = fields.Integer(
        dump_only=True, metadata={"description": "Inbox items you have not read"}
    )


class ReadAllSchema(ResponseSchema):
    count = fields.Integer(
        dump_only=True, metadata={"description": "How many items this marked read"}
    )


class ExportNotificationSchema(NotificationSchema):
    """An inbox item in the export: what it said and what became of it."""

    class Meta(NotificationSchema.Meta):
        exclude = ("deliver_after",)
