from __future__ import annotations

import marshmallow as ma
from sqlalchemy import text

from api.auth.context import Access, View
from api.db import db_session
from api.http import PUBLIC, Blueprint

blp = Blueprint("ops", __name__, description="Health checks")


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"enum": ["ok", "unavailable"]})


@blp.route("/healthz")
class Health(View):
    access = Access.PUBLIC

    @blp.doc(**PUBLIC)
    @blp.response(200, StatusSchema)
    def get(self):
        """Say the process is alive"""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(View):
    access = Access.PUBLIC

    @blp.doc(**PUBLIC)
    @blp.response(200, StatusSchema)
    @blp.alt_response(503, schema=StatusSchema, description="The database is unreachable")
    def get(self):
        """Say whether the database answers"""
        try:
            db_session().execute(text("SELECT 1"))
        except Exception:
            db_session().rollback()
            return {"status": "unavailable"}, 503
        return {"status": "ok"}
