from __future__ import annotations

from api import i18n
from api.auth.context import Access, View
from api.http import PUBLIC, Blueprint
from schemas.locales import LocalePageSchema, LocaleQueryArgsSchema

blp = Blueprint("locales", __name__, url_prefix="/v1", description="Languages")


@blp.route("/locales")
class Locales(View):
    # Public: an app offers the choice before anyone has signed up, and it reveals nothing.
    access = Access.PUBLIC

    @blp.doc(**PUBLIC)
    @blp.arguments(LocaleQueryArgsSchema, location="query")
    @blp.response(200, LocalePageSchema)
    def get(self, _args):
        """List the languages Steady speaks"""
        return {"items": i18n.locales(), "next_cursor": None}
