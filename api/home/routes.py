from __future__ import annotations

from flask import g

from api.auth.context import PartnerView, current_user
from api.conditional import conditional
from api.db import db_session, now
from api.home import service
from api.http import Blueprint, documents_errors
from api.pairing.context import current_couple_or_none
from schemas.home import HomeSchema

blp = Blueprint("home", __name__, url_prefix="/v1", description="Home screen")


def _inbox_state():
    """The viewer's unread count and latest arrival, read once per request: it is part of the
    tag and the home's unread count."""
    if "inbox_state" not in g:
        g.inbox_state = service.inbox_state(session=db_session(), user=current_user())
    return g.inbox_state


@blp.route("/home")
class Home(PartnerView):
    @blp.response(200, HomeSchema)
    @documents_errors(blp, 401, 403)
    @conditional(blp, extra_state=_inbox_state)
    def get(self):
        """Show what waits for you today, in one call"""
        unread, _ = _inbox_state()
        return service.home(
            session=db_session(),
            user=current_user(),
            couple=current_couple_or_none(),
            now=now(),
            unread=unread,
        )
