"""ResponseSchema's serialisation reads values the way marshmallow does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields

from schemas.common import Instant, ResponseSchema


class Inner(ResponseSchema):
    n = fields.Integer()


class Outer(ResponseSchema):
    id = fields.String()
    label = fields.String(attribute="title", data_key="name")
    when = Instant(allow_none=True)
    flagged = fields.Boolean(dump_default=False)
    absent = fields.String(metadata={"optional": True})
    inner = fields.Nested(Inner, allow_none=True)
    inners = fields.List(fields.Nested(Inner))
    made = fields.Function(lambda obj: "made")
    dotted = fields.Integer(attribute="inner.n", metadata={"optional": True})


@dataclass
class Thing:
    id: str
    title: str
    when: datetime | None
    inner: dict | None
    inners: list


def both(obj, **kwargs):
    schema = Outer(**kwargs)
    quick = schema.dump(obj)
    assert quick == ma.Schema._serialize(schema, obj, many=bool(kwargs.get("many")))
    return quick


def test_objects_dicts_defaults_and_missing_values():
    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    dumped = both(Thing(id="a", title="T", when=at, inner={"n": 3}, inners=[{"n": 1}]))
    assert dumped == {
        "id": "a",
        "name": "T",
        "when": "2026-11-23T12:00:00.000Z",
        "flagged": False,  # the dump default: the object has no such attribute
        "inner": {"n": 3},
        "inners": [{"n": 1}],
        "made": "made",
        "dotted": 3,
    }
    assert "absent" not in dumped
    as_dict = both({"id": 1, "title": "T", "when": None, "inner": None, "inners": []})
    assert as_dict["id"] == "1" and as_dict["when"] is None and as_dict["inner"] is None
    assert "dotted" not in as_dict
    assert both([{"id": "x", "title": "y", "inners": []}] * 2, many=True)[1]["name"] == "y"


def test_rows_are_read_by_name():
    from sqlalchemy import create_engine

    with create_engine("sqlite://").connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT 'r' AS id, 'R' AS title, NULL AS 'when', NULL AS inner, '' AS inners"
        ).first()
    dumped = both(row)
    assert dumped["id"] == "r" and dumped["name"] == "R" and dumped["inners"] == []
