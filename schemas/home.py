from __future__ import annotations

from marshmallow import fields

from api.agreements.models import OCCURRENCE_STATUSES
from api.commitments.service import CONFIRM_WINDOW_DAYS
from api.home.service import LIST_LIMIT
from schemas.commitments import CheckSchema
from schemas.common import Instant, LocalTime, ResponseSchema
from schemas.gratitude import GratitudeSchema
from schemas.pairing import PartnerSchema
from schemas.prompts import TIME_DOC, RoundSchema
from schemas.reassurance import ReassuranceRequestSchema


def _newest_first(what: str) -> dict:
    return {"description": f"{what}, newest first, at most {LIST_LIMIT}", "maxItems": LIST_LIMIT}


class HomeCoupleSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    since = Instant(dump_only=True)
    partner = fields.Nested(PartnerSchema, dump_only=True)


class CommitmentRefSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    title = fields.String(dump_only=True)


class CheckToConfirmSchema(ResponseSchema):
    commitment = fields.Nested(CommitmentRefSchema, dump_only=True)
    check = fields.Nested(CheckSchema, dump_only=True)


class TodayCommitmentRefSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    title = fields.String(dump_only=True)
    due_time = LocalTime(dump_only=True, metadata=TIME_DOC)
    timezone = fields.String(dump_only=True)


class TodayCommitmentSchema(ResponseSchema):
    commitment = fields.Nested(TodayCommitmentRefSchema, dump_only=True)
    date = fields.Date(dump_only=True, metadata={"description": "Today in the commitment's zone"})
    due_at = Instant(dump_only=True)
    check = fields.Nested(
        CheckSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "What you recorded for today; null until you do"},
    )


class TodayAgreementRefSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    title = fields.String(dump_only=True)
    time = LocalTime(dump_only=True, metadata=TIME_DOC)
    timezone = fields.String(dump_only=True)


class TodayAgreementSchema(ResponseSchema):
    agreement = fields.Nested(TodayAgreementRefSchema, dump_only=True)
    date = fields.Date(dump_only=True, metadata={"description": "Today in the agreement's zone"})
    due_at = Instant(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(OCCURRENCE_STATUSES)})


class HomeCountsSchema(ResponseSchema):
    rounds_awaiting_me = fields.Integer(dump_only=True)
    gratitude_to_acknowledge = fields.Integer(dump_only=True)
    checks_to_confirm = fields.Integer(dump_only=True)
    unread_notifications = fields.Integer(dump_only=True)


class HomeSchema(ResponseSchema):
    couple = fields.Nested(
        HomeCoupleSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "null while you are not paired"},
    )
    rounds_awaiting_me = fields.List(
        fields.Nested(RoundSchema),
        dump_only=True,
        metadata=_newest_first("Open rounds you have not answered"),
    )
    gratitude_to_acknowledge = fields.List(
        fields.Nested(GratitudeSchema),
        dump_only=True,
        metadata=_newest_first("Notes you received and have not acknowledged"),
    )
    checks_to_confirm = fields.List(
        fields.Nested(CheckToConfirmSchema),
        dump_only=True,
        metadata=_newest_first(
            f"Your partner's kept checks of the last {CONFIRM_WINDOW_DAYS} days you have not "
            "confirmed"
        ),
    )
    my_commitments_today = fields.List(
        fields.Nested(TodayCommitmentSchema),
        dump_only=True,
        metadata={"description": "Your commitments due today in their zone, earliest first"},
    )
    my_agreements_today = fields.List(
        fields.Nested(TodayAgreementSchema),
        dump_only=True,
        metadata={
            "description": "Your check-in agreements due today in their zone, earliest first"
        },
    )
    open_reassurance_request = fields.Nested(
        ReassuranceRequestSchema,
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The latest request your partner asked you and you have not "
            "answered, or null"
        },
    )
    counts = fields.Nested(
        HomeCountsSchema,
        dump_only=True,
        metadata={"description": f"Exact: the lists stop at {LIST_LIMIT}, the counts do not"},
    )
