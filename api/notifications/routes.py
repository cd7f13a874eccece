from __future__ import annotations

import uuid

from flask_smorest import Blueprint

from api.auth.context import View, current_user
from api.db import db_session, now
from api.http import documents_errors
from api.notifications import service
from schemas.common import PageQueryArgsSchema
from schemas.notifications import (
    NotificationPageSchema,
    NotificationSchema,
    NotificationSettingsSchema,
    NotificationSettingsUpdateSchema,
)

blp = Blueprint(
    "notifications", __name__, url_prefix="/v1/me", description="Inbox and notification settings"
)


@blp.route("/notifications")
class Inbox(View):
    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, NotificationPageSchema)
    @documents_errors(blp, 401)
    def get(self, args):
        """List your notifications, newest first"""
        return service.list_inbox(session=db_session(), user=current_user(), **args)


@blp.route("/notifications/<uuid:notification_id>/read")
class InboxRead(View):
    @blp.response(200, NotificationSchema)
    @documents_errors(blp, 401, 404)
    def post(self, notification_id: uuid.UUID):
        """Mark a notification read"""
        return service.mark_read(
            session=db_session(), user=current_user(), notification_id=notification_id, now=now()
        )


@blp.route("/notification-settings")
class Settings(View):
    @blp.response(200, NotificationSettingsSchema)
    @documents_errors(blp, 401)
    def get(self):
        """Show your quiet hours, daily cap and kinds of push"""
        return service.get_settings(session=db_session(), user_id=current_user().id)

    @blp.arguments(NotificationSettingsUpdateSchema)
    @blp.response(200, NotificationSettingsSchema)
    @documents_errors(blp, 400, 401, 413)
    def put(self, data):
        """Replace your notification settings"""
        return service.replace_settings(
            session=db_session(), user=current_user(), now=now(), **data
        )
