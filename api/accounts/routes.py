from __future__ import annotations

import uuid

from api import flows
from api.accounts import service
from api.auth.context import View, current_user
from api.db import db_session, now
from api.http import Blueprint, documents_errors
from schemas.accounts import (
    DeviceCreateSchema,
    DevicePageSchema,
    DeviceSchema,
    ExportSchema,
    UserSchema,
    UserUpdateSchema,
)
from schemas.common import PageQueryArgsSchema

blp = Blueprint("accounts", __name__, url_prefix="/v1/me", description="Your account")


@blp.route("")
class Me(View):
    @blp.response(200, UserSchema)
    @documents_errors(blp, 401)
    def get(self):
        """Show your account"""
        return current_user()

    # Every field is optional, so no body at all changes nothing, exactly like `{}`.
    @blp.arguments(UserUpdateSchema, required=False)
    @blp.response(200, UserSchema)
    @documents_errors(blp, 400, 401, 413)
    def patch(self, data):
        """Change your name, time zone or locale"""
        return flows.update_profile(session=db_session(), user=current_user(), now=now(), **data)

    @blp.response(204)
    @documents_errors(blp, 401)
    def delete(self):
        """Erase your account; this cannot be undone"""
        flows.erase_account(session=db_session(), user=current_user(), now=now())


@blp.route("/export")
class Export(View):
    @blp.response(200, ExportSchema)
    @documents_errors(blp, 401)
    def get(self):
        """Download everything Steady holds about you"""
        return flows.export_data(session=db_session(), user=current_user())


@blp.route("/devices")
class Devices(View):
    @blp.arguments(DeviceCreateSchema)
    @blp.response(201, DeviceSchema)
    @blp.alt_response(200, schema=DeviceSchema, description="The token was already registered")
    @documents_errors(blp, 400, 401, 413)
    def post(self, data):
        """Register this device for push notifications"""
        device, created = service.register_device(
            session=db_session(),
            user=current_user(),
            now=now(),
            app_version=data.get("app_version"),
            token=data["token"],
            platform=data["platform"],
        )
        return device, 201 if created else 200

    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, DevicePageSchema)
    @documents_errors(blp, 401)
    def get(self, args):
        """List your registered devices"""
        return service.list_devices(session=db_session(), user=current_user(), **args)


@blp.route("/devices/<uuid:device_id>")
class DeviceItem(View):
    @blp.response(204)
    @documents_errors(blp, 401, 404)
    def delete(self, device_id: uuid.UUID):
        """Stop push notifications to a device"""
        service.remove_device(session=db_session(), user=current_user(), device_id=device_id)
