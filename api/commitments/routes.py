from __future__ import annotations

import uuid

from flask_smorest import Blueprint

from api.auth.context import PartnerView, current_user
from api.commitments import service
from api.conditional import conditional
from api.db import db_session, now
from api.http import documents_errors
from api.pairing.context import current_couple
from schemas.commitments import (
    CheckCreateSchema,
    CheckPageSchema,
    CheckSchema,
    CommitmentCreateSchema,
    CommitmentPageSchema,
    CommitmentQueryArgsSchema,
    CommitmentSchema,
    CommitmentUpdateSchema,
)
from schemas.common import PageQueryArgsSchema

blp = Blueprint("commitments", __name__, url_prefix="/v1/couple", description="Commitments")


@blp.route("/commitments")
class Commitments(PartnerView):
    @blp.arguments(CommitmentCreateSchema)
    @blp.response(201, CommitmentSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def post(self, data):
        """Make a commitment to your partner"""
        return service.create_commitment(
            session=db_session(), couple=current_couple(), user=current_user(), now=now(), **data
        )

    @blp.arguments(CommitmentQueryArgsSchema, location="query")
    @blp.response(200, CommitmentPageSchema)
    @documents_errors(blp, 401, 403, 404)
    @conditional(blp)
    def get(self, args):
        """List commitments with their kept rate, streak and next due time"""
        return service.list_commitments(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            owner=args.pop("owner", None),
            now=now(),
            **args,
        )


@blp.route("/commitments/<uuid:commitment_id>")
class CommitmentItem(PartnerView):
    @blp.response(200, CommitmentSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, commitment_id: uuid.UUID):
        """Show a commitment"""
        return service.get_commitment(
            session=db_session(), couple=current_couple(), commitment_id=commitment_id, now=now()
        )

    # Every field is optional, so no body at all changes nothing, exactly like `{}`.
    @blp.arguments(CommitmentUpdateSchema, required=False)
    @blp.response(200, CommitmentSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def patch(self, data, commitment_id: uuid.UUID):
        """Change your commitment"""
        return service.update_commitment(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            commitment_id=commitment_id,
            now=now(),
            **data,
        )

    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, commitment_id: uuid.UUID):
        """Delete your commitment"""
        service.delete_commitment(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            commitment_id=commitment_id,
            now=now(),
        )


@blp.route("/commitments/<uuid:commitment_id>/checks")
class Checks(PartnerView):
    @blp.arguments(CheckCreateSchema)
    @blp.response(201, CheckSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 413)
    def post(self, data, commitment_id: uuid.UUID):
        """Record whether you kept a due occurrence"""
        return service.record_check(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            commitment_id=commitment_id,
            now=now(),
            **data,
        )

    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, CheckPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, commitment_id: uuid.UUID):
        """List the recorded occurrences of a commitment"""
        return service.list_checks(
            session=db_session(), couple=current_couple(), commitment_id=commitment_id, **args
        )


@blp.route("/commitments/<uuid:commitment_id>/checks/<uuid:check_id>/confirm")
class CheckConfirm(PartnerView):
    @blp.response(200, CheckSchema)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, commitment_id: uuid.UUID, check_id: uuid.UUID):
        """Confirm your partner kept their word"""
        return service.confirm_check(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            commitment_id=commitment_id,
            check_id=check_id,
            now=now(),
        )
