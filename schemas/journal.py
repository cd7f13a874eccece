from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from api.journal.models import KINDS
from api.journal.service import DEFAULT_WEEKS, MAX_FEELINGS, MAX_WEEKS, Feeling
from schemas.common import (
    Instant,
    JsonInteger,
    PageQueryArgsSchema,
    PageSchema,
    ResponseSchema,
    StrictSchema,
    Text,
)

KIND_DOC = {"enum": list(KINDS)}


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 and "true" are refused, as the contract's type says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class FeelingName(fields.String):
    """1–40 characters as sent, then trimmed; blank is refused."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(min=1, max=40), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        # Length is checked before trimming (the documented bound holds for what is sent);
        # trimming keeps " Anxious" and "anxious" the same feeling in the patterns.
        self._validate(value)
        value = value.strip()
        if not value:
            raise ma.ValidationError("A feeling needs a name.")
        return value


class JournalFeelingCreateSchema(StrictSchema):
    name = FeelingName(required=True)
    intensity = JsonInteger(required=True, validate=validate.Range(min=0, max=100))

    @ma.post_load
    def _to_feeling(self, data, **kwargs):
        return Feeling(name=data["name"], intensity=data["intensity"])


def Feelings(description: str = "") -> fields.List:  # noqa: N802
    return fields.List(
        fields.Nested(JournalFeelingCreateSchema),
        validate=validate.Length(max=MAX_FEELINGS),
        metadata={"description": f"{description}Each name once (ignoring case)."},
    )


def OptionalText(max_len: int) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(max=max_len), allow_none=True)


class JournalEntryCreateSchema(StrictSchema):
    """A note needs `text`; a thought record needs `situation` and `thought`. Fields of the
    other kind are refused (a note may carry `feelings`, not `feelings_after`)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    text = Text(1, 5000, allow_none=True, metadata={"description": "A note's words"})
    situation = Text(1, 2000, allow_none=True)
    thought = Text(1, 2000, allow_none=True, metadata={"description": "The automatic thought"})
    feelings = Feelings()
    evidence_for = OptionalText(2000)
    evidence_against = OptionalText(2000)
    balanced_thought = OptionalText(2000)
    feelings_after = Feelings("The feelings re-rated after weighing the evidence. ")
    shared_with_therapist = StrictBoolean(load_default=False)


class JournalEntryUpdateSchema(StrictSchema):
    """Any field of the entry's kind; `null` clears an optional text, `[]` a list. The kind
    cannot change (sending the same one is fine)."""

    kind = fields.String(validate=validate.OneOf(KINDS))
    text = Text(1, 5000, allow_none=True)
    situation = Text(1, 2000, allow_none=True)
    thought = Text(1, 2000, allow_none=True)
    feelings = Feelings()
    evidence_for = OptionalText(2000)
    evidence_against = OptionalText(2000)
    balanced_thought = OptionalText(2000)
    feelings_after = Feelings()
    shared_with_therapist = StrictBoolean()


class JournalQueryArgsSchema(PageQueryArgsSchema):
    kind = fields.String(validate=validate.OneOf(KINDS))


class JournalFeelingSchema(ResponseSchema):
    name = fields.String(dump_only=True)
    intensity = fields.Integer(dump_only=True, metadata={"minimum": 0, "maximum": 100})


class JournalEntrySchema(ResponseSchema):
    id = fields.UUID(dump_only=True)
    kind = fields.String(dump_only=True, metadata=KIND_DOC)
    text = fields.String(dump_only=True, allow_none=True)
    situation = fields.String(dump_only=True, allow_none=True)
    thought = fields.String(dump_only=True, allow_none=True)
    feelings = fields.List(fields.Nested(JournalFeelingSchema), dump_only=True)
    evidence_for = fields.String(dump_only=True, allow_none=True)
    evidence_against = fields.String(dump_only=True, allow_none=True)
    balanced_thought = fields.String(dump_only=True, allow_none=True)
    feelings_after = fields.List(fields.Nested(JournalFeelingSchema), dump_only=True)
    shared_with_therapist = fields.Boolean(dump_only=True)
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class JournalEntryPageSchema(PageSchema):
    items = fields.List(fields.Nested(JournalEntrySchema), required=True)


class SharedJournalEntrySchema(JournalEntrySchema):
    """An entry its author shared with their therapist."""

    author_id = fields.UUID(dump_only=True)


class SharedJournalEntryPageSchema(PageSchema):
    items = fields.List(fields.Nested(SharedJournalEntrySchema), required=True)


class JournalPatternsQueryArgsSchema(StrictSchema):
    weeks = fields.Integer(
        load_default=DEFAULT_WEEKS, validate=validate.Range(min=1, max=MAX_WEEKS)
    )


class JournalFeelingPatternSchema(ResponseSchema):
    name = fields.String(dump_only=True, metadata={"description": "Lower-cased"})
    count = fields.Integer(dump_only=True, metadata={"description": "Entries naming it"})
    mean_intensity = fields.Float(dump_only=True)
    mean_intensity_after = fields.Float(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Over the entries that re-rated it; null when none did"},
    )


class JournalWeekSchema(ResponseSchema):
    week_start = fields.Date(dump_only=True, metadata={"description": "A Monday"})
    entries = fields.Integer(dump_only=True)
    thought_records = fields.Integer(dump_only=True)
    feelings = fields.List(
        fields.Nested(JournalFeelingPatternSchema),
        dump_only=True,
        metadata={"description": "The five named most, most first", "maxItems": 5},
    )


class JournalPatternsSchema(ResponseSchema):
    timezone = fields.String(
        dump_only=True, metadata={"description": "The zone whose Mondays start the weeks"}
    )
    weeks = fields.List(
        fields.Nested(JournalWeekSchema),
        dump_only=True,
        metadata={"description": "Oldest first; the last is the current week", "maxItems": 52},
    )
