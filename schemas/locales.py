from __future__ import annotations

from marshmallow import fields

from api.i18n import SUPPORTED
from schemas.common import PageSchema, ResponseSchema, StrictSchema


class LocaleSchema(ResponseSchema):
    tag = fields.String(
        dump_only=True,
        required=True,
        metadata={"enum": list(SUPPORTED), "description": "A BCP 47 tag to set as your locale"},
    )
    name = fields.String(
        dump_only=True,
        required=True,
        metadata={"description": "The language's name in itself, e.g. Português (Brasil)"},
    )


class LocaleQueryArgsSchema(StrictSchema):
    """No parameters: every supported locale fits in one page."""


class LocalePageSchema(PageSchema):
    items = fields.List(fields.Nested(LocaleSchema), required=True, dump_only=True)
