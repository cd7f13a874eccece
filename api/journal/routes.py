from __future__ import annotations

import uuid

import marshmallow as ma
from flask_smorest import Blueprint

from api.auth.context import TherapistView, View, current_user
from api.db import db_session, now
from api.http import documents_errors
from api.journal import service
from api.therapists.context import couple_access
from schemas.common import PageQueryArgsSchema
from schemas.journal import (
    JournalEntryCreateSchema,
    JournalEntryPageSchema,
    JournalEntrySchema,
    JournalEntryUpdateSchema,
    JournalPatternsQueryArgsSchema,
    JournalPatternsSchema,
    JournalQueryArgsSchema,
    SharedJournalEntryPageSchema,
)

blp = Blueprint("journal", __name__, url_prefix="/v1", description="Your personal journal")


@blp.route("/me/journal")
class Journal(View):
    @blp.arguments(JournalEntryCreateSchema)
    @blp.response(201, JournalEntrySchema)
    @documents_errors(blp, 400, 401, 413)
    def post(self, data):
        """Write a note or a thought record in your journal"""
        return service.create_entry(session=db_session(), user=current_user(), now=now(), **data)

    # webargs drops unknown query parameters by default; these schemas refuse them.
    @blp.arguments(JournalQueryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, JournalEntryPageSchema)
    @documents_errors(blp, 401)
    def get(self, args):
        """List your journal entries, newest first"""
        return service.list_entries(
            session=db_session(), user=current_user(), kind=args.pop("kind", None), **args
        )


@blp.route("/me/journal/patterns")
class JournalPatterns(View):
    @blp.arguments(JournalPatternsQueryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, JournalPatternsSchema)
    @documents_errors(blp, 401)
    def get(self, args):
        """Show your journal week by week: entries and the feelings you named most"""
        return service.patterns(
            session=db_session(), user=current_user(), weeks=args["weeks"], now=now()
        )


@blp.route("/me/journal/<uuid:entry_id>")
class JournalEntryItem(View):
    @blp.response(200, JournalEntrySchema)
    @documents_errors(blp, 401, 404)
    def get(self, entry_id: uuid.UUID):
        """Show one of your journal entries"""
        return service.get_entry(session=db_session(), user=current_user(), entry_id=entry_id)

    # Every field is optional, so no body at all changes nothing, exactly like `{}`.
    @blp.arguments(JournalEntryUpdateSchema, required=False)
    @blp.response(200, JournalEntrySchema)
    @documents_errors(blp, 400, 401, 404, 413)
    def patch(self, data, entry_id: uuid.UUID):
        """Change a journal entry, or share or stop sharing it with your therapist"""
        return service.update_entry(
            session=db_session(), user=current_user(), entry_id=entry_id, now=now(), **data
        )

    @blp.response(204)
    @documents_errors(blp, 401, 404)
    def delete(self, entry_id: uuid.UUID):
        """Delete a journal entry"""
        service.delete_entry(session=db_session(), user=current_user(), entry_id=entry_id)


@blp.route("/therapist/couples/<uuid:couple_id>/journal")
class TherapistCoupleJournal(TherapistView):
    @blp.arguments(PageQueryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, SharedJournalEntryPageSchema)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, couple_id: uuid.UUID):
        """Read the journal entries the partners chose to share with you"""
        return service.shared_entries(
            session=db_session(),
            couple_id=couple_access(couple_id, "journal.read").couple_id,
            **args,
        )
