from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.i18n import SUPPORTED
from api.prompts.library import CATEGORIES
from api.prompts.models import DELIVERIES, PROMPT_KINDS, SOURCES
from api.timeutil import WEEKDAYS
from schemas.common import (
    LOCAL_TIME_DOC,
    MAX_CURSOR_LENGTH,
    Closed,
    Instant,
    JsonInteger,
    LocalTime,
    OffsetCursorField,
    PageQueryArgsSchema,
    PageSchema,
    ResponseSchema,
    StrictSchema,
    Timezone,
    Weekdays,
)

Kind = lambda **kw: fields.String(validate=validate.OneOf(PROMPT_KINDS), **kw)  # noqa: E731
Category = lambda **kw: fields.String(validate=validate.OneOf(CATEGORIES), **kw)  # noqa: E731
DELIVERY_DOC = {
    "enum": list(DELIVERIES),
    "description": "each_local: each partner at `time` in their own zone (the round exists from "
    "the first of the two instants; the other partner's notification waits until theirs); "
    "together: both at `time` in `timezone`.",
}
Delivery = lambda **kw: fields.String(  # noqa: E731
    validate=validate.OneOf(DELIVERIES), metadata=DELIVERY_DOC, **kw
)
TIME_DOC = {**LOCAL_TIME_DOC, "example": "20:00"}
PROMPT_LOCALE_DOC = {
    "enum": [*SUPPORTED, None],
    "description": "The language of `text`: a library prompt is shown in the viewer's locale; "
    "the couple's and therapists' prompts are shown as written (null: not known).",
}


class Days(fields.List):
    """Distinct weekdays; omitted or null = every day; [] is refused."""

    def __init__(self, **kwargs):
        super().__init__(
            fields.String(validate=validate.OneOf(WEEKDAYS)),
            validate=[validate.Length(min=1, max=7), self._distinct],
            allow_none=True,
            metadata={"uniqueItems": True, **kwargs.pop("metadata", {})},
            **kwargs,
        )

    @staticmethod
    def _distinct(value):
        if len(set(value)) != len(value):
            raise ma.ValidationError("Days must be distinct.")


class Categories(fields.List):
    """Distinct library categories; omitted or null = all of them; [] is refused."""

    def __init__(self, **kwargs):
        super().__init__(
            Category(),
            validate=[validate.Length(min=1, max=len(CATEGORIES)), self._distinct],
            allow_none=True,
            metadata={
                "uniqueItems": True,
                "description": "Rotate only through library prompts of these categories",
            },
            **kwargs,
        )

    @staticmethod
    def _distinct(value):
        if len(set(value)) != len(value):
            raise ma.ValidationError("Categories must be distinct.")


class PromptSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"enum": list(PROMPT_KINDS)})
    text = fields.String(dump_only=True)
    source = fields.String(dump_only=True, metadata={"enum": list(SOURCES)})
    category = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"enum": [*CATEGORIES, None], "description": "Library prompts only"},
    )
    locale = fields.String(dump_only=True, allow_none=True, metadata=PROMPT_LOCALE_DOC)


class PromptCreateSchema(StrictSchema):
    kind = Kind(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PromptQueryArgsSchema(StrictSchema):
    kind = Kind()
    category = Category(metadata={"description": "Only library prompts of this category"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = OffsetCursorField(
        load_default=None, metadata={"minLength": 1, "maxLength": MAX_CURSOR_LENGTH}
    )


class PromptPageSchema(PageSchema):
    items = fields.List(fields.Nested(PromptSchema), required=True)
    next_cursor = OffsetCursorField(allow_none=True, required=True)


class ScheduleSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    kind = Closed(PROMPT_KINDS, dump_only=True)
    prompt_id = fields.UUID(dump_only=True, allow_none=True)
    categories = fields.List(
        fields.String(metadata={"enum": list(CATEGORIES)}), dump_only=True, allow_none=True
    )
    days = Weekdays(dump_only=True, allow_none=True)
    time = LocalTime(dump_only=True, metadata=TIME_DOC)
    timezone = fields.String(dump_only=True)
    delivery = Delivery(dump_only=True)
    active = fields.Boolean(dump_only=True)
    next_fire_at = Instant(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)


class ScheduleCreateSchema(StrictSchema):
    kind = Kind(required=True)
    prompt_id = fields.UUID(allow_none=True, load_default=None)
    categories = Categories(load_default=None)
    days = Days(load_default=None)
    time = LocalTime(required=True, metadata=TIME_DOC)
    timezone = Timezone(allow_none=True, load_default=None)
    delivery = Delivery(load_default="each_local")
    active = fields.Boolean(load_default=True)


class ScheduleUpdateSchema(StrictSchema):
    kind = Kind()
    prompt_id = fields.UUID(allow_none=True)
    categories = Categories()
    days = Days()
    time = LocalTime(metadata=TIME_DOC)
    timezone = Timezone()
    delivery = Delivery()
    active = fields.Boolean()


class SchedulePageSchema(PageSchema):
    items = fields.List(fields.Nested(ScheduleSchema), required=True)


class AnswerSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    text = fields.String(dump_only=True, allow_none=True)
    rating = fields.Integer(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)


class RoundPromptSchema(ResponseSchema):
    id = fields.UUID(dump_only=True, allow_none=True)
    text = fields.String(dump_only=True)
    locale = fields.String(dump_only=True, allow_none=True, metadata=PROMPT_LOCALE_DOC)


class RoundSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    kind = Closed(PROMPT_KINDS, dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": ["open", "complete"]})
    prompt = fields.Nested(RoundPromptSchema, dump_only=True)
    asked_at = Instant(dump_only=True)
    schedule_id = fields.UUID(dump_only=True, allow_none=True)
    my_answer = fields.Nested(AnswerSchema, dump_only=True, allow_none=True)
    partner_answered = fields.Boolean(dump_only=True)
    partner_answer = fields.Nested(AnswerSchema, dump_only=True, allow_none=True)


class RoundCreateSchema(StrictSchema):
    kind = Kind(required=True)
    prompt_id = fields.UUID(allow_none=True, load_default=None)


class RoundQueryArgsSchema(PageQueryArgsSchema):
    status = fields.String(
        validate=validate.OneOf(["open", "complete", "awaiting_me"]),
        metadata={
            "description": "`open`: not yet answered by both; `complete`: answered by both; "
            "`awaiting_me`: open and not answered by you"
        },
    )


class RoundPageSchema(PageSchema):
    items = fields.List(fields.Nested(RoundSchema), required=True)


class AnswerCreateSchema(StrictSchema):
    text = fields.String(
        validate=validate.Length(min=1, max=1000), allow_none=True, load_default=None
    )
    rating = JsonInteger(
        validate=validate.Range(min=1, max=5), allow_none=True, load_default=None
    )


# --- export -----------------------------------------------------------------------------------


class ExportAnswerSchema(ResponseSchema):
    text = fields.String(dump_only=True, allow_none=True)
    rating = fields.Integer(dump_only=True, allow_none=True)
    created_at = Instant(dump_only=True)


class ExportRoundSchema(ResponseSchema):
    """A round as the exporting partner saw it: the partner's answer only where revealed."""

    id = fields.UUID(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"enum": list(PROMPT_KINDS)})
    prompt = fields.String(dump_only=True, attribute="prompt.text")
    asked_at = Instant(dump_only=True)
    my_answer = fields.Nested(ExportAnswerSchema, dump_only=True, allow_none=True)
    partner_answer = fields.Nested(ExportAnswerSchema, dump_only=True, allow_none=True)


class ExportPromptSchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"enum": list(PROMPT_KINDS)})
    text = fields.String(dump_only=True)
    created_at = Instant(dump_only=True)
