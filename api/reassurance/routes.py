from __future__ import annotations

import uuid

import marshmallow as ma
from flask_smorest import Blueprint

from api.auth.context import PartnerView, current_user
from api.db import db_session, now
from api.http import documents_errors
from api.pairing.context import current_couple
from api.reassurance import service
from schemas.common import PageQueryArgsSchema
from schemas.reassurance import (
    CoupleSettingsSchema,
    CoupleSettingsUpdateSchema,
    ReassuranceAnswerCreateSchema,
    ReassuranceRequestCreateSchema,
    ReassuranceRequestPageSchema,
    ReassuranceRequestSchema,
)

blp = Blueprint(
    "reassurance", __name__, url_prefix="/v1/couple", description="Reassurance requests"
)


@blp.route("/reassurance-requests")
class ReassuranceRequests(PartnerView):
    @blp.arguments(ReassuranceRequestCreateSchema, required=False)
    @blp.response(201, ReassuranceRequestSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 413)
    def post(self, data):
        """Ask your partner for reassurance"""
        return service.ask(
            session=db_session(), couple=current_couple(), user=current_user(), now=now(), **data
        )

    @blp.arguments(PageQueryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, ReassuranceRequestPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args):
        """List reassurance requests both ways, newest first"""
        return service.list_requests(session=db_session(), couple=current_couple(), **args)


@blp.route("/reassurance-requests/<uuid:request_id>")
class ReassuranceRequestItem(PartnerView):
    @blp.response(200, ReassuranceRequestSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, request_id: uuid.UUID):
        """Show a reassurance request"""
        return service.get_request(
            session=db_session(), couple=current_couple(), request_id=request_id
        )


@blp.route("/reassurance-requests/<uuid:request_id>/answer")
class ReassuranceAnswer(PartnerView):
    @blp.arguments(ReassuranceAnswerCreateSchema)
    @blp.response(200, ReassuranceRequestSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 413)
    def post(self, data, request_id: uuid.UUID):
        """Answer your partner's request in your own words"""
        return service.answer(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            request_id=request_id,
            now=now(),
            **data,
        )


@blp.route("/reassurance-requests/<uuid:request_id>/withdraw")
class ReassuranceWithdraw(PartnerView):
    @blp.response(200, ReassuranceRequestSchema)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, request_id: uuid.UUID):
        """Withdraw your request: you are OK now"""
        return service.withdraw(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            request_id=request_id,
            now=now(),
        )


@blp.route("/settings")
class CoupleSettings(PartnerView):
    @blp.response(200, CoupleSettingsSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self):
        """Show the settings you and your partner share"""
        return service.get_settings(session=db_session(), couple=current_couple())

    @blp.arguments(CoupleSettingsUpdateSchema)
    @blp.response(200, CoupleSettingsSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def put(self, data):
        """Change the settings you and your partner share"""
        return service.replace_settings(
            session=db_session(), couple=current_couple(), now=now(), **data
        )
