from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint

from api.auth.context import PartnerView, current_user
from api.conditional import conditional
from api.db import db_session, now
from api.http import documents_errors
from api.pairing.context import current_couple
from api.progress import service
from schemas.progress import ProgressQueryArgsSchema, ProgressSchema

blp = Blueprint("progress", __name__, url_prefix="/v1/couple", description="Weekly progress")


@blp.route("/progress")
class Progress(PartnerView):
    # webargs drops unknown query parameters by default; this schema refuses them.
    @blp.arguments(ProgressQueryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, ProgressSchema)
    @documents_errors(blp, 401, 403, 404)
    @conditional(blp)
    def get(self, args):
        """Show the couple's weekly progress, in your time zone"""
        couple = current_couple()
        return service.couple_progress(
            session=db_session(),
            couple_id=couple.id,
            member_ids=couple.member_ids(),
            timezone=current_user().timezone,
            weeks=args["weeks"],
            now=now(),
            version=couple.version,
        )
