from __future__ import annotations

import uuid

from api.auth.context import PartnerView, View, current_user
from api.conditional import conditional
from api.db import db_session, now
from api.http import Blueprint, documents_errors
from api.pairing.context import current_couple, current_couple_or_none
from api.prompts import schedules, service
from schemas.common import PageQueryArgsSchema
from schemas.prompts import (
    AnswerCreateSchema,
    PromptCreateSchema,
    PromptPageSchema,
    PromptQueryArgsSchema,
    PromptSchema,
    RoundCreateSchema,
    RoundPageSchema,
    RoundQueryArgsSchema,
    RoundSchema,
    ScheduleCreateSchema,
    SchedulePageSchema,
    ScheduleSchema,
    ScheduleUpdateSchema,
)

blp = Blueprint("prompts", __name__, url_prefix="/v1", description="Prompts, schedules, rounds")


@blp.route("/prompts")
class Prompts(View):
    @blp.arguments(PromptQueryArgsSchema, location="query")
    @blp.response(200, PromptPageSchema)
    @documents_errors(blp, 401)
    def get(self, args):
        """List the prompts you can be asked"""
        couple = current_couple_or_none()
        items, next_offset = service.list_prompts(
            session=db_session(),
            couple_id=couple.id if couple else None,
            locale=current_user().effective_locale,
            kind=args.get("kind"),
            category=args.get("category"),
            offset=args["cursor"] or 0,
            limit=args["limit"],
        )
        return {"items": items, "next_cursor": next_offset}


@blp.route("/couple/prompts")
class CouplePrompts(PartnerView):
    @blp.arguments(PromptCreateSchema)
    @blp.response(201, PromptSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def post(self, data):
        """Add a prompt of your own"""
        return service.create_prompt(
            session=db_session(), couple=current_couple(), user=current_user(), now=now(), **data
        )


@blp.route("/couple/schedules")
class Schedules(PartnerView):
    @blp.arguments(ScheduleCreateSchema)
    @blp.response(201, ScheduleSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def post(self, data):
        """Schedule a recurring question"""
        return schedules.create_schedule(
            session=db_session(), couple=current_couple(), user=current_user(), now=now(), **data
        )

    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, SchedulePageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args):
        """List your couple's schedules"""
        return schedules.list_schedules(session=db_session(), couple=current_couple(), **args)


@blp.route("/couple/schedules/<uuid:schedule_id>")
class ScheduleItem(PartnerView):
    @blp.response(200, ScheduleSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, schedule_id: uuid.UUID):
        """Show a schedule"""
        return schedules.get_schedule(
            session=db_session(), couple=current_couple(), schedule_id=schedule_id
        )

    # Every field is optional, so no body at all changes nothing, exactly like `{}`.
    @blp.arguments(ScheduleUpdateSchema, required=False)
    @blp.response(200, ScheduleSchema)
    @documents_errors(blp, 400, 401, 403, 404, 413)
    def patch(self, data, schedule_id: uuid.UUID):
        """Change a schedule; the next time is recomputed"""
        return schedules.update_schedule(
            session=db_session(),
            couple=current_couple(),
            schedule_id=schedule_id,
            now=now(),
            **data,
        )

    @blp.response(204)
    @documents_errors(blp, 401, 403, 404)
    def delete(self, schedule_id: uuid.UUID):
        """Delete a schedule"""
        schedules.delete_schedule(
            session=db_session(), couple=current_couple(), schedule_id=schedule_id
        )


@blp.route("/couple/rounds")
class Rounds(PartnerView):
    @blp.arguments(RoundCreateSchema)
    @blp.response(201, RoundSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 413)
    def post(self, data):
        """Ask a question now"""
        return service.ask_now(
            session=db_session(), couple=current_couple(), user=current_user(), now=now(), **data
        )

    @blp.arguments(RoundQueryArgsSchema, location="query")
    @blp.response(200, RoundPageSchema)
    @documents_errors(blp, 401, 403, 404)
    @conditional(blp)
    def get(self, args):
        """List your couple's rounds, newest first"""
        return service.list_rounds(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            status=args.pop("status", None),
            **args,
        )


@blp.route("/couple/rounds/<uuid:round_id>")
class RoundItem(PartnerView):
    @blp.response(200, RoundSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, round_id: uuid.UUID):
        """Show a round"""
        return service.get_round(
            session=db_session(), couple=current_couple(), user=current_user(), round_id=round_id
        )


@blp.route("/couple/rounds/<uuid:round_id>/answers")
class RoundAnswers(PartnerView):
    @blp.arguments(AnswerCreateSchema)
    @blp.response(201, RoundSchema)
    @documents_errors(blp, 400, 401, 403, 404, 409, 413)
    def post(self, data, round_id: uuid.UUID):
        """Answer a round (your partner's answer shows once you have answered)"""
        return service.answer_round(
            session=db_session(),
            couple=current_couple(),
            user=current_user(),
            round_id=round_id,
            now=now(),
            **data,
        )
