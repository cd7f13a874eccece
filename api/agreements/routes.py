from __future__ import annotations

import uuid

import marshmallow as ma
from flask_smorest import Blueprint

from api.agreements import service
from api.auth.context import PartnerView, TherapistView, current_user
from api.conditional import conditional
from api.db import db_session, now
from api.http import documents_errors
from api.pairing.context import current_couple
from api.therapists.context import couple_access
from schemas.agreements import (
    AgreementCreateSchema,
    AgreementPageSchema,
    AgreementQueryArgsSchema,
    AgreementSchema,
    AgreementUpdateSchema,
    CheckInCreateSchema,
    CheckInSchema,
    LateNoticeCreateSchema,
    LateNoticeSchema,
    OccurrencePageSchema,
    TherapistAgreementPageSchema,
)
from schemas.common import PageQueryArgsSchema

blp = Blueprint("agreements", __name__, url_prefix="/v1", description="Check-in agreements")


@blp.route("/couple/agreements")
class Agreements(PartnerView):
    @blp.arguments(AgreementCreateSchema)
    @blp.response(201, AgreementSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def post(self, data):
        """Agree to check in with your partner around a time"""
        return service.create_agreement(
            session=db_session(), couple=current_couple(), user=current_user(), now=now(), **data
        )

    @blp.arguments(AgreementQueryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, AgreementPageSchema)
    @documents_errors(blp, 401, 403, 404)
    @conditional(blp)
    def get(self, args):
        """List check-in agreements with their on-time and informed rates"""
        return service.list_agreements(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            owner=args.pop("owner", None),
            now=now(),
            **args,
        )


@blp.route("/couple/agreements/<uuid:agreement_id>")
class AgreementItem(PartnerView):
    @blp.response(200, AgreementSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, agreement_id: uuid.UUID):
        """Show a check-in agreement"""
        return service.get_agreement(
            session=db_session(), couple=current_couple(), agreement_id=agreement_id, now=now()
        )

    # Every field is optional, so no body at all changes nothing, exactly like `{}`.
    @blp.arguments(AgreementUpdateSchema, required=False)
    @blp.response(200, AgreementSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def patch(self, data, agreement_id: uuid.UUID):
        """Change your check-in agreement"""
        return service.update_agreement(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            agreement_id=agreement_id,
            now=now(),
            **data,
        )

    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, agreement_id: uuid.UUID):
        """Delete your check-in agreement"""
        service.delete_agreement(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            agreement_id=agreement_id,
            now=now(),
        )


@blp.route("/couple/agreements/<uuid:agreement_id>/check-ins")
class CheckIns(PartnerView):
    @blp.arguments(CheckInCreateSchema, required=False)
    @blp.response(201, CheckInSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 413)
    def post(self, data, agreement_id: uuid.UUID):
        """Check in with your partner, as you agreed"""
        return service.check_in(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            agreement_id=agreement_id,
            now=now(),
            **data,
        )


@blp.route("/couple/agreements/<uuid:agreement_id>/late")
class LateNotices(PartnerView):
    @blp.arguments(LateNoticeCreateSchema)
    @blp.response(201, LateNoticeSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 413)
    def post(self, data, agreement_id: uuid.UUID):
        """Tell your partner you are running late"""
        return service.send_late_notice(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            agreement_id=agreement_id,
            now=now(),
            **data,
        )


@blp.route("/couple/agreements/<uuid:agreement_id>/occurrences")
class Occurrences(PartnerView):
    @blp.arguments(PageQueryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, OccurrencePageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, agreement_id: uuid.UUID):
        """List an agreement's occurrences and how each went"""
        return service.list_occurrences(
            session=db_session(),
            couple=current_couple(),
            agreement_id=agreement_id,
            now=now(),
            **args,
        )


@blp.route("/therapist/couples/<uuid:couple_id>/agreements")
class TherapistCoupleAgreements(TherapistView):
    @blp.arguments(PageQueryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, TherapistAgreementPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, couple_id: uuid.UUID):
        """List a couple's check-in agreements with their rates (titles with content scope)"""
        return service.therapist_agreements(
            session=db_session(),
            grant=couple_access(couple_id, "agreements.read"),
            now=now(),
            **args,
        )
