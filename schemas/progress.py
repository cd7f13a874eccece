from __future__ import annotations

from marshmallow import fields, validate

from api.progress.service import DEFAULT_WEEKS, MAX_WEEKS
from schemas.common import ResponseSchema, StrictSchema

BY_PARTNER = {"description": "Keyed by each partner's user id"}


class ProgressQueryArgsSchema(StrictSchema):
    weeks = fields.Integer(
        load_default=DEFAULT_WEEKS, validate=validate.Range(min=1, max=MAX_WEEKS)
    )


class PartnerWeekSchema(ResponseSchema):
    gratitude_sent = fields.Integer(dump_only=True)
    gratitude_acknowledged = fields.Integer(dump_only=True)
    rounds_asked = fields.Integer(dump_only=True)
    rounds_answered = fields.Integer(dump_only=True)
    mean_check_in_rating = fields.Float(dump_only=True, allow_none=True)
    commitments_due = fields.Integer(dump_only=True)
    commitments_kept = fields.Integer(dump_only=True)
    commitments_confirmed = fields.Integer(dump_only=True)
    check_ins_due = fields.Integer(
        dump_only=True,
        metadata={"description": "Their agreements' occurrences dated that week, once due"},
    )
    check_ins_on_time = fields.Integer(dump_only=True)
    late_notices = fields.Integer(dump_only=True)
    reassurance_asked = fields.Integer(dump_only=True)
    reassurance_answered = fields.Integer(
        dump_only=True, metadata={"description": "Answers they gave to their partner's requests"}
    )


class ProgressWeekSchema(ResponseSchema):
    week_start = fields.Date(dump_only=True, metadata={"description": "A Monday"})
    partners = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(PartnerWeekSchema),
        dump_only=True,
        metadata=BY_PARTNER,
    )


class PartnerSummarySchema(ResponseSchema):
    answer_rate_28d = fields.Float(dump_only=True, allow_none=True)
    kept_rate_28d = fields.Float(dump_only=True, allow_none=True)
    gratitude_per_week_28d = fields.Float(dump_only=True)
    median_ack_hours_28d = fields.Float(dump_only=True, allow_none=True)
    on_time_rate_28d = fields.Float(dump_only=True, allow_none=True)
    informed_rate_28d = fields.Float(dump_only=True, allow_none=True)


class ProgressSchema(ResponseSchema):
    timezone = fields.String(
        dump_only=True, metadata={"description": "The zone whose Mondays start the weeks"}
    )
    weeks = fields.List(
        fields.Nested(ProgressWeekSchema),
        dump_only=True,
        metadata={
            "description": "Oldest first; the last is the current week",
            "maxItems": MAX_WEEKS,
        },
    )
    summary = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(PartnerSummarySchema),
        dump_only=True,
        metadata=BY_PARTNER,
    )
