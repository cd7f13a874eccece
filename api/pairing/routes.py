from __future__ import annotations

from flask_smorest import Blueprint
from werkzeug.routing import UnicodeConverter

from api import flows
from api.auth.context import PartnerView, current_user
from api.conditional import conditional
from api.db import db_session, now
from api.http import documents_errors
from api.pairing import service
from api.pairing.context import current_couple
from schemas.common import PageQueryArgsSchema
from schemas.pairing import CoupleSchema, InvitePageSchema, InviteSchema

blp = Blueprint("pairing", __name__, url_prefix="/v1", description="Invites and couples")


class InviteCodeConverter(UnicodeConverter):
    """A path segment that can hold a typed invite code: no control characters, which no code
    has and which PostgreSQL cannot store (the idempotency record keeps the request path)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)


# Documented like `string` (a UnicodeConverter), registered before the routes below use it.
blp.record_once(
    lambda state: state.app.url_map.converters.setdefault("invite_code", InviteCodeConverter)
)


@blp.route("/invites")
class Invites(PartnerView):
    @blp.response(201, InviteSchema)
    @documents_errors(blp, 401, 403, 409)
    def post(self):
        """Create an invite code for your partner"""
        return service.create_invite(session=db_session(), user=current_user(), now=now())

    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, InvitePageSchema)
    @documents_errors(blp, 401, 403)
    def get(self, args):
        """List your open invites"""
        return service.list_invites(session=db_session(), user=current_user(), now=now(), **args)


@blp.route("/invites/<invite_code(maxlength=64):code>")
class InviteItem(PartnerView):
    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, code: str):
        """Withdraw an open invite"""
        service.revoke_invite(session=db_session(), user=current_user(), code=code, now=now())


@blp.route("/invites/<invite_code(maxlength=64):code>/accept")
class InviteAccept(PartnerView):
    @blp.response(201, CoupleSchema)
    @documents_errors(blp, 401, 403, 404, 409, 410)
    def post(self, code: str):
        """Accept your partner's invite and pair"""
        return service.accept_invite(
            session=db_session(), user=current_user(), code=code, now=now()
        )


@blp.route("/couple")
class CurrentCouple(PartnerView):
    @blp.response(200, CoupleSchema)
    @documents_errors(blp, 401, 403, 404)
    @conditional(blp)
    def get(self):
        """Show your couple"""
        return service.couple_view(
            session=db_session(), couple=current_couple(), viewer=current_user()
        )

    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self):
        """Unpair; ends the couple for both partners"""
        flows.unpair(session=db_session(), user=current_user(), now=now())
