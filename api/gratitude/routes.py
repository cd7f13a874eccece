from __future__ import annotations

import uuid

from api.auth.context import PartnerView, current_user
from api.db import db_session, now
from api.gratitude import service
from api.http import Blueprint, documents_errors
from api.pairing.context import current_couple
from schemas.gratitude import (
    GratitudeAcknowledgeSchema,
    GratitudeCreateSchema,
    GratitudePageSchema,
    GratitudeQueryArgsSchema,
    GratitudeSchema,
)

blp = Blueprint("gratitude", __name__, url_prefix="/v1/couple", description="Gratitude notes")


@blp.route("/gratitude")
class GratitudeNotes(PartnerView):
    @blp.arguments(GratitudeCreateSchema)
    @blp.response(201, GratitudeSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def post(self, data):
        """Send a gratitude note to your partner"""
        return service.send_note(
            session=db_session(),
            couple=current_couple(),
            author=current_user(),
            text=data["text"],
            now=now(),
        )

    @blp.arguments(GratitudeQueryArgsSchema, location="query")
    @blp.response(200, GratitudePageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args):
        """List gratitude notes you sent or received"""
        return service.list_notes(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            direction=args.pop("direction", None),
            acknowledged=args.pop("acknowledged", None),
            **args,
        )


@blp.route("/gratitude/<uuid:note_id>")
class GratitudeItem(PartnerView):
    @blp.response(200, GratitudeSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, note_id: uuid.UUID):
        """Show a gratitude note"""
        return service.get_note(session=db_session(), couple=current_couple(), note_id=note_id)


@blp.route("/gratitude/<uuid:note_id>/acknowledge")
class GratitudeAcknowledge(PartnerView):
    # The reaction is optional, so a bare tap may acknowledge without any body.
    @blp.arguments(GratitudeAcknowledgeSchema, required=False)
    @blp.response(200, GratitudeSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 413)
    def post(self, data, note_id: uuid.UUID):
        """Acknowledge a note you received"""
        return service.acknowledge(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            note_id=note_id,
            now=now(),
            **data,
        )
