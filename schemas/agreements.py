from __future__ import annotations

from marshmallow import fields, validate

from api.agreements.models import CHECK_IN_STATUSES, OCCURRENCE_STATUSES
from schemas.common import (
    Instant,
    JsonInteger,
    LocalTime,
    PageQueryArgsSchema,
    PageSchema,
    ResponseSchema,
    StrictSchema,
    Timezone,
    Weekdays,
)
from schemas.prompts import TIME_DOC, Days


def Message(**kwargs) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(min=1, max=280), **kwargs)


def Window(**kwargs) -> fields.Integer:  # noqa: N802
    return JsonInteger(validate=validate.Range(min=5, max=120), **kwargs)


def RemindBefore(**kwargs) -> fields.Integer:  # noqa: N802
    return JsonInteger(validate=validate.Range(min=0, max=120), **kwargs)


class AgreementSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    owner_id = fields.UUID(dump_only=True)
    title = fields.String(dump_only=True)
    days = Weekdays(dump_only=True, allow_none=True)
    time = LocalTime(dump_only=True, metadata=TIME_DOC)
    window_minutes = fields.Integer(dump_only=True)
    timezone = fields.String(dump_only=True)
    remind_before_minutes = fields.Integer(dump_only=True)
    next_due_at = Instant(dump_only=True, allow_none=True)
    on_time_rate_28d = fields.Float(dump_only=True, allow_none=True)
    informed_rate_28d = fields.Float(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class AgreementCreateSchema(StrictSchema):
    title = fields.String(validate=validate.Length(min=1, max=200), load_default=None)
    days = Days(load_default=None)
    time = LocalTime(required=True, metadata=TIME_DOC)
    window_minutes = Window(load_default=15)
    timezone = Timezone(allow_none=True, load_default=None)
    remind_before_minutes = RemindBefore(load_default=10)


class AgreementUpdateSchema(StrictSchema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    days = Days()
    time = LocalTime(metadata=TIME_DOC)
    window_minutes = Window()
    timezone = Timezone()
    remind_before_minutes = RemindBefore()


class AgreementQueryArgsSchema(PageQueryArgsSchema):
    owner = fields.String(validate=validate.OneOf(["me", "partner"]))


class AgreementPageSchema(PageSchema):
    items = fields.List(fields.Nested(AgreementSchema), required=True)


class CheckInCreateSchema(StrictSchema):
    message = Message(allow_none=True, load_default=None)


class CheckInSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    date = fields.Date(
        dump_only=True, metadata={"description": "The occurrence's date in the agreement's zone"}
    )
    due_at = Instant(dump_only=True)
    at = Instant(dump_only=True, attribute="created_at")
    status = fields.String(dump_only=True, metadata={"enum": list(CHECK_IN_STATUSES)})
    message = fields.String(dump_only=True, allow_none=True)


class LateNoticeCreateSchema(StrictSchema):
    minutes = JsonInteger(
        required=True,
        validate=validate.Range(min=5, max=240),
        metadata={"description": "About how late, in minutes"},
    )
    message = Message(allow_none=True, load_default=None)


class LateNoticeSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    date = fields.Date(dump_only=True)
    due_at = Instant(dump_only=True)
    at = Instant(dump_only=True, attribute="created_at")
    minutes = fields.Integer(dump_only=True)
    message = fields.String(dump_only=True, allow_none=True)


class OccurrenceSchema(ResponseSchema):
    date = fields.Date(dump_only=True)
    due_at = Instant(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(OCCURRENCE_STATUSES)})
    check_in_at = Instant(dump_only=True, allow_none=True)
    notice_at = Instant(dump_only=True, allow_none=True)
    # The words, for the app to show (never in a push).
    check_in = fields.Nested(CheckInSchema, dump_only=True, allow_none=True)
    late_notice = fields.Nested(LateNoticeSchema, dump_only=True, allow_none=True)


class OccurrencePageSchema(PageSchema):
    items = fields.List(fields.Nested(OccurrenceSchema), required=True)


class TherapistAgreementSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    owner_id = fields.UUID(dump_only=True)
    title = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Only with the summary_and_content scope; null otherwise"},
    )
    days = Weekdays(dump_only=True, allow_none=True)
    time = LocalTime(dump_only=True, metadata=TIME_DOC)
    timezone = fields.String(dump_only=True)
    window_minutes = fields.Integer(dump_only=True)
    on_time_rate_28d = fields.Float(dump_only=True, allow_none=True)
    informed_rate_28d = fields.Float(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)


class TherapistAgreementPageSchema(PageSchema):
    items = fields.List(fields.Nested(TherapistAgreementSchema), required=True)


class ExportCheckInSchema(ResponseSchema):
    date = fields.Date(dump_only=True)
    due_at = Instant(dump_only=True)
    at = Instant(dump_only=True, attribute="created_at")
    status = fields.String(dump_only=True, metadata={"enum": list(CHECK_IN_STATUSES)})
    message = fields.String(dump_only=True, allow_none=True)


class ExportLateNoticeSchema(ResponseSchema):
    date = fields.Date(dump_only=True)
    due_at = Instant(dump_only=True)
    at = Instant(dump_only=True, attribute="created_at")
    minutes = fields.Integer(dump_only=True)
    message = fields.String(dump_only=True, allow_none=True)


class ExportAgreementSchema(ResponseSchema):
    """One of the owner's agreements (`api.agreements.service.ExportedAgreement`)."""

    id = fields.UUID(dump_only=True, attribute="agreement.id")
    title = fields.String(dump_only=True, attribute="agreement.title")
    days = Weekdays(dump_only=True, allow_none=True, attribute="agreement.days")
    time = LocalTime(dump_only=True, attribute="agreement.time", metadata=TIME_DOC)
    window_minutes = fields.Integer(dump_only=True, attribute="agreement.window_minutes")
    timezone = fields.String(dump_only=True, attribute="agreement.timezone")
    created_at = Instant(dump_only=True, attribute="agreement.created_at")
    check_ins = fields.List(fields.Nested(ExportCheckInSchema), dump_only=True)
    late_notices = fields.List(fields.Nested(ExportLateNoticeSchema), dump_only=True)
