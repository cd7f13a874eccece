from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

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


class CommitmentSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    owner_id = fields.UUID(dump_only=True)
    title = fields.String(dump_only=True)
    details = fields.String(dump_only=True, allow_none=True)
    days = Weekdays(dump_only=True, allow_none=True)
    date = fields.Date(dump_only=True, allow_none=True)
    due_time = LocalTime(dump_only=True, metadata=TIME_DOC)
    timezone = fields.String(dump_only=True)
    remind_before_minutes = fields.Integer(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)
    kept_rate_28d = fields.Float(dump_only=True, allow_none=True)
    current_streak = fields.Integer(dump_only=True)
    next_due_at = Instant(dump_only=True, allow_none=True)


def _either_days_or_date(data):
    if data.get("days") is not None and data.get("date") is not None:
        raise ma.ValidationError("Give either days or a date, not both.", "date")


class CommitmentCreateSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    details = fields.String(validate=validate.Length(max=2000), allow_none=True, load_default=None)
    days = Days(load_default=None)
    date = fields.Date(allow_none=True, load_default=None)
    due_time = LocalTime(required=True, metadata=TIME_DOC)
    timezone = Timezone(allow_none=True, load_default=None)
    remind_before_minutes = JsonInteger(
        validate=validate.Range(min=0, max=1440), allow_none=True, load_default=None
    )

    @ma.validates_schema
    def _one_schedule(self, data, **kwargs):
        _either_days_or_date(data)


class CommitmentUpdateSchema(StrictSchema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    details = fields.String(validate=validate.Length(max=2000), allow_none=True)
    days = Days()
    date = fields.Date(allow_none=True)
    due_time = LocalTime(metadata=TIME_DOC)
    timezone = Timezone()
    remind_before_minutes = JsonInteger(
        validate=validate.Range(min=0, max=1440), allow_none=True
    )

    @ma.validates_schema
    def _one_schedule(self, data, **kwargs):
        _either_days_or_date(data)


class CommitmentQueryArgsSchema(PageQueryArgsSchema):
    owner = fields.String(validate=validate.OneOf(["me", "partner"]))


class CommitmentPageSchema(PageSchema):
    items = fields.List(fields.Nested(CommitmentSchema), required=True)


class CheckSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    commitment_id = fields.UUID(dump_only=True)
    date = fields.Date(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": ["kept", "missed"]})
    note = fields.String(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)
    confirmed_at = Instant(dump_only=True, allow_none=True)


class CheckCreateSchema(StrictSchema):
    date = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["kept", "missed"]))
    note = fields.String(
        validate=validate.Length(min=1, max=1000), allow_none=True, load_default=None
    )


class CheckPageSchema(PageSchema):
    items = fields.List(fields.Nested(CheckSchema), required=True)


class ExportCheckSchema(ResponseSchema):
    date = fields.Date(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": ["kept", "missed"]})
    note = fields.String(dump_only=True, allow_none=True)
    confirmed_at = Instant(dump_only=True, allow_none=True)


class ExportCommitmentSchema(ResponseSchema):
    """One of the owner's commitments (`api.commitments.service.ExportedCommitment`)."""

    id = fields.UUID(dump_only=True, attribute="commitment.id")
    title = fields.String(dump_only=True, attribute="commitment.title")
    details = fields.String(dump_only=True, allow_none=True, attribute="commitment.details")
    days = Weekdays(dump_only=True, allow_none=True, attribute="commitment.days")
    date = fields.Date(dump_only=True, allow_none=True, attribute="commitment.date")
    due_time = LocalTime(dump_only=True, attribute="commitment.due_time", metadata=TIME_DOC)
    timezone = fields.String(dump_only=True, attribute="commitment.timezone")
    created_at = Instant(dump_only=True, attribute="commitment.created_at")
    checks = fields.List(fields.Nested(ExportCheckSchema), dump_only=True)
