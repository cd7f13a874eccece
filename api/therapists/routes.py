from __future__ import annotations

import uuid

from api.auth.context import PartnerView, TherapistView, current_user
from api.db import db_session, now
from api.http import Blueprint, documents_errors
from api.pairing.context import current_couple
from api.therapists import service
from api.therapists.context import couple_access
from schemas.common import PageQueryArgsSchema
from schemas.progress import ProgressQueryArgsSchema, ProgressSchema
from schemas.therapists import (
    AccessLogPageSchema,
    AssignmentCreateSchema,
    AssignmentPageSchema,
    AssignmentSchema,
    ContentGratitudePageSchema,
    ContentRoundPageSchema,
    GrantCreateSchema,
    GrantPageSchema,
    GrantSchema,
    LinkCodeSchema,
    TherapistCommitmentPageSchema,
    TherapistCouplePageSchema,
    TherapistGrantPageSchema,
    TherapistGrantQueryArgsSchema,
)

blp = Blueprint("therapists", __name__, url_prefix="/v1", description="Therapists")


# --- the couple's side ------------------------------------------------------------------------


@blp.route("/couple/therapists")
class CoupleTherapists(PartnerView):
    @blp.arguments(GrantCreateSchema)
    @blp.response(201, GrantSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 410, 413)
    def post(self, data):
        """Invite a therapist with their link code (your partner approves too)"""
        return service.add_therapist(
            session=db_session(), couple=current_couple(), user=current_user(), now=now(), **data
        )

    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, GrantPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args):
        """List the therapists invited to see your couple"""
        return service.list_grants(session=db_session(), couple=current_couple(), **args)


@blp.route("/couple/therapists/<uuid:grant_id>")
class CoupleTherapist(PartnerView):
    @blp.response(200, GrantSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, grant_id: uuid.UUID):
        """Show a therapist's access"""
        return service.get_grant(session=db_session(), couple=current_couple(), grant_id=grant_id)

    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, grant_id: uuid.UUID):
        """End a therapist's access at once"""
        service.revoke(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            grant_id=grant_id,
            now=now(),
        )


@blp.route("/couple/therapists/<uuid:grant_id>/approve")
class CoupleTherapistApprove(PartnerView):
    @blp.response(200, GrantSchema)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, grant_id: uuid.UUID):
        """Approve a therapist's access"""
        return service.approve(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            grant_id=grant_id,
            now=now(),
        )


@blp.route("/couple/therapists/<uuid:grant_id>/access-log")
class CoupleTherapistAccessLog(PartnerView):
    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, AccessLogPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, grant_id: uuid.UUID):
        """See every request this therapist made about your couple"""
        return service.access_log(
            session=db_session(), couple=current_couple(), grant_id=grant_id, **args
        )


# --- the therapist's side ---------------------------------------------------------------------


@blp.route("/therapist/link-codes")
class LinkCodes(TherapistView):
    @blp.response(201, LinkCodeSchema)
    @documents_errors(blp, 401, 403)
    def post(self):
        """Create a link code to give to couples"""
        return service.create_link_code(session=db_session(), therapist=current_user(), now=now())


@blp.route("/therapist/couples")
class TherapistCouples(TherapistView):
    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, TherapistCouplePageSchema)
    @documents_errors(blp, 401, 403)
    def get(self, args):
        """List the couples who gave you access"""
        return service.therapist_couples(session=db_session(), therapist=current_user(), **args)


@blp.route("/therapist/grants")
class TherapistGrants(TherapistView):
    @blp.arguments(TherapistGrantQueryArgsSchema, location="query")
    @blp.response(200, TherapistGrantPageSchema)
    @documents_errors(blp, 401, 403)
    def get(self, args):
        """List your pending and active grants, with the partners' names"""
        return service.therapist_grants(session=db_session(), therapist=current_user(), **args)


@blp.route("/therapist/couples/<uuid:couple_id>/commitments")
class TherapistCoupleCommitments(TherapistView):
    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, TherapistCommitmentPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, couple_id: uuid.UUID):
        """List a couple's commitments with their figures (titles with content scope only)"""
        return service.couple_commitments(
            session=db_session(),
            grant=couple_access(couple_id, "commitments.read"),
            now=now(),
            **args,
        )


@blp.route("/therapist/couples/<uuid:couple_id>/progress")
class TherapistCoupleProgress(TherapistView):
    @blp.arguments(ProgressQueryArgsSchema, location="query")
    @blp.response(200, ProgressSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, couple_id: uuid.UUID):
        """Show a couple's weekly progress"""
        return service.couple_progress(
            session=db_session(),
            grant=couple_access(couple_id, "progress.read"),
            therapist=current_user(),
            now=now(),
            **args,
        )


@blp.route("/therapist/couples/<uuid:couple_id>/rounds")
class TherapistCoupleRounds(TherapistView):
    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, ContentRoundPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, couple_id: uuid.UUID):
        """Read the rounds both partners answered (content scope only)"""
        return service.couple_rounds(
            session=db_session(),
            grant=couple_access(couple_id, "rounds.read", content=True),
            therapist=current_user(),
            **args,
        )


@blp.route("/therapist/couples/<uuid:couple_id>/gratitude")
class TherapistCoupleGratitude(TherapistView):
    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, ContentGratitudePageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, couple_id: uuid.UUID):
        """Read the couple's gratitude notes (content scope only)"""
        return service.couple_gratitude(
            session=db_session(),
            grant=couple_access(couple_id, "gratitude.read", content=True),
            **args,
        )


@blp.route("/therapist/couples/<uuid:couple_id>/assignments")
class TherapistAssignments(TherapistView):
    @blp.arguments(AssignmentCreateSchema)
    @blp.response(201, AssignmentSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def post(self, data, couple_id: uuid.UUID):
        """Assign the couple a question on a schedule"""
        return service.create_assignment(
            session=db_session(),
            grant=couple_access(couple_id, "assignments.create"),
            therapist=current_user(),
            now=now(),
            **data,
        )

    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, AssignmentPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, couple_id: uuid.UUID):
        """List your assignments for a couple"""
        return service.list_assignments(
            session=db_session(), grant=couple_access(couple_id, "assignments.read"), **args
        )


@blp.route("/therapist/couples/<uuid:couple_id>/assignments/<uuid:assignment_id>")
class TherapistAssignment(TherapistView):
    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, couple_id: uuid.UUID, assignment_id: uuid.UUID):
        """Stop an assignment (its prompt and past rounds stay)"""
        service.delete_assignment(
            session=db_session(),
            grant=couple_access(couple_id, "assignments.delete"),
            assignment_id=assignment_id,
            now=now(),
        )
