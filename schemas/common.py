"""Fields and schemas shared by every domain."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache

import marshmallow as ma
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import fields, validate

from api.errors import Unprocessable
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor
from api.timeutil import WEEKDAYS

# Cursors the server issues are far shorter; a longer one cannot be ours.
MAX_CURSOR_LENGTH = 512

LOCALE_RE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ma.ValidationError("Not a known IANA time zone name.")


class Timezone(fields.String):
    def __init__(self, **kwargs):
        super().__init__(validate=[validate.Length(min=1, max=64), validate_timezone], **kwargs)


class Email(fields.Email):
    """Trimmed and lower-cased before validation, so lookups match however it was typed."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(min=1, max=254), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().lower()
        return super()._deserialize(value, attr, data, **kwargs)


def Text(min_len: int = 1, max_len: int = 1000, **kwargs) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kwargs)


def _unstorable(value) -> bool:
    """Text no database here can hold: NUL (PostgreSQL refuses it) or a lone surrogate (no
    UTF-8 encoding exists, so every driver fails), found anywhere inside the value."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, list | tuple):
        return any(_unstorable(item) for item in value)
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    return False


class StrictSchema(ma.Schema):
    """Unknown fields are refused (marshmallow's RAISE), stated for readers. So is text that
    cannot be stored: refused here as 422, it would otherwise fail at commit as a 500."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _refuse_unstorable_text(self, data, **kwargs):
        if hasattr(data, "items"):
            invalid = {
                name: ["Contains characters that cannot be stored (NUL or a lone surrogate)."]
                for name, value in data.items()
                if _unstorable(name) or _unstorable(value)
            }
            if invalid:
                raise ma.ValidationError(invalid)
        return data


class ResponseSchema(ma.Schema):
    """Base of every response schema: what the server writes.

    - Every field is always present (it may be null where it allows None), so the spec lists
      every field as `required` and generated clients need no guards; a field that can be left
      out says so with `metadata={"optional": True}`.
    - Clients ignore fields they do not know, so fields can be added without a new version:
      response schemas stay open (the spec does not set `additionalProperties: false`).
    """

    class Meta:
        unknown = ma.EXCLUDE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        super().on_bind_field(field_name, field_obj)
        if not field_obj.metadata.get("optional"):
            field_obj.required = True

    def _serialize(self, obj, *, many: bool = False):
        """marshmallow's own serialisation, with the per-field steps worked out once per
        schema: each field's value is read with one lookup and formatted by the field itself
        (lists of answers are most of what the apps read)."""
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        steps = self.__dict__.get("_dump_steps")
        if steps is None:
            steps = self._dump_steps = _dump_steps(self)
        result = {}
        for key, name, read, field in steps:
            if read is None:  # a field with its own way of reading (or none)
                value = field.serialize(name, obj, accessor=self.get_attribute)
                if value is not ma.missing:
                    result[key] = value
                continue
            value = read(obj)
            if value is ma.missing:
                default = field.dump_default
                value = default() if callable(default) else default
                if value is ma.missing:
                    continue
            result[key] = field._serialize(value, name, obj)
        return result


def _dump_steps(schema: ma.Schema) -> list[tuple]:
    """(output key, field name, how to read the value or None, field) for each dumped field;
    the reading is marshmallow's `utils.get_value`, done without its layers of calls."""
    plain = type(schema).get_attribute is ma.Schema.get_attribute
    steps = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        attribute = field.attribute if field.attribute is not None else name
        own_reading = (
            type(field).serialize is not fields.Field.serialize
            or type(field).get_value is not fields.Field.get_value
            or not field._CHECK_ATTRIBUTE
        )
        read = None if (own_reading or not plain or "." in attribute) else _reader(attribute)
        steps.append((key, name, read, field))
    return steps


def _reader(key: str):
    missing = ma.missing

    def read(obj):
        # What marshmallow.utils.get_value does for a key without dots.
        if type(obj) is dict:
            return obj[key] if key in obj else getattr(obj, key, missing)
        if not hasattr(obj, "__getitem__"):
            return getattr(obj, key, missing)
        try:
            return obj[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            return getattr(obj, key, missing)

    return read


class JsonInteger(fields.Integer):
    """An integer as JSON Schema counts one: 5 and 5.0 alike; "5", 5.5 and true are not."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def Closed(values, **kwargs) -> fields.String:  # noqa: N802
    """A response string from a closed set, documented as an enum (so generated clients get
    one); the set is the one the server's own code writes from."""
    metadata = {"enum": list(values), **kwargs.pop("metadata", {})}
    return fields.String(metadata=metadata, **kwargs)


def Weekdays(**kwargs) -> fields.List:  # noqa: N802
    """A response list of weekdays ("mon" ... "sun")."""
    return fields.List(Closed(WEEKDAYS), **kwargs)


class Instant(fields.DateTime):
    """An instant: written as `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, milliseconds, what
    JavaScript's `toISOString()` writes) — the one place instants are formatted; read from any
    RFC 3339 instant with an offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not instants")
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        if instant.tzinfo is None:
            raise ma.ValidationError("An instant needs an offset, like Z or +02:00.")
        return instant.astimezone(UTC)


def _cursor_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="steady.cursor")


class CursorField(fields.String):
    """An opaque, signed cursor; one the server did not issue is refused."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return _cursor_serializer().dumps([value.at.isoformat(), str(value.id)])

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > MAX_CURSOR_LENGTH:
            raise Unprocessable(
                "invalid_cursor",
                "The cursor is not valid.",
                errors={"query": {"cursor": ["Not a valid cursor."]}},
            )
        try:
            at, ident = _cursor_serializer().loads(value)
            return Cursor(at=datetime.fromisoformat(at), id=uuid.UUID(ident))
        except (BadSignature, ValueError, TypeError) as exc:
            raise Unprocessable(
                "invalid_cursor",
                "The cursor is not valid.",
                errors={"query": {"cursor": ["Not a valid cursor."]}},
            ) from exc


class PageQueryArgsSchema(StrictSchema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = CursorField(
        load_default=None, metadata={"minLength": 1, "maxLength": MAX_CURSOR_LENGTH}
    )


class PageSchema(ResponseSchema):
    next_cursor = CursorField(
        allow_none=True,
        dump_only=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last one."},
    )


LOCAL_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# How a LocalTime is documented; the lengths say outright what the pattern implies.
LOCAL_TIME_DOC = {
    "type": "string",
    "pattern": LOCAL_TIME_RE.pattern,
    "minLength": 5,
    "maxLength": 5,
}


class LocalTime(fields.Field):
    """A local wall time as "HH:MM"."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value, attr, data, **kwargs):
        from datetime import time

        if not isinstance(value, str) or not LOCAL_TIME_RE.match(value):
            raise ma.ValidationError('Not a valid local time; use "HH:MM".')
        return time(int(value[:2]), int(value[3:]))

    def _jsonschema_type_mapping(self):  # pragma: no cover - documentation only
        return {"type": "string", "pattern": LOCAL_TIME_RE.pattern}


class OffsetCursorField(fields.String):
    """An opaque, signed position in a list that is not ordered by time."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return _cursor_serializer().dumps({"o": int(value)})

    def _deserialize(self, value, attr, data, **kwargs):
        invalid = Unprocessable(
            "invalid_cursor",
            "The cursor is not valid.",
            errors={"query": {"cursor": ["Not a valid cursor."]}},
        )
        if not isinstance(value, str) or len(value) > MAX_CURSOR_LENGTH:
            raise invalid
        try:
            offset = _cursor_serializer().loads(value)["o"]
        except (BadSignature, KeyError, TypeError) as exc:
            raise invalid from exc
        if not isinstance(offset, int) or offset < 0:
            raise invalid
        return offset
