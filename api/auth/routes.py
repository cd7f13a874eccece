from __future__ import annotations

import uuid

from flask_smorest import Blueprint

from api.auth import service
from api.auth.context import Access, View, current_principal, token_settings
from api.auth.limits import login_rate_limits
from api.db import db_session, now
from api.extensions import limiter
from api.http import PUBLIC, documents_errors
from schemas.auth import (
    LoginSchema,
    RefreshSchema,
    RegisterSchema,
    SessionPageSchema,
    TokenPairSchema,
)
from schemas.common import PageQueryArgsSchema

blp = Blueprint("auth", __name__, url_prefix="/v1/auth", description="Sign-up, sign-in, sessions")


@blp.route("/register")
class Register(View):
    access = Access.PUBLIC

    @limiter.limit("30 per hour", scope="register-ip")
    @blp.doc(**PUBLIC)
    @blp.arguments(RegisterSchema)
    @blp.response(201, TokenPairSchema)
    @documents_errors(blp, 400, 409, 413, 429)
    def post(self, data):
        """Create an account and sign in"""
        return service.register(session=db_session(), settings=token_settings(), now=now(), **data)


@blp.route("/login")
class Login(View):
    access = Access.PUBLIC

    # Only failures count, in buckets the workspace's login form shares.
    @login_rate_limits
    @blp.doc(**PUBLIC)
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @documents_errors(blp, 400, 401, 413, 429)
    def post(self, data):
        """Sign in with email and password"""
        return service.login(session=db_session(), settings=token_settings(), now=now(), **data)


@blp.route("/refresh")
class Refresh(View):
    access = Access.PUBLIC

    @blp.doc(**PUBLIC)
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    @documents_errors(blp, 400, 401, 413)
    def post(self, data):
        """Exchange a refresh token for a new token pair"""
        return service.refresh(session=db_session(), settings=token_settings(), now=now(), **data)


@blp.route("/logout")
class Logout(View):
    @blp.response(204)
    @documents_errors(blp, 401)
    def post(self):
        """End the current session"""
        service.logout(session=db_session(), principal=current_principal(), now=now())


@blp.route("/sessions")
class Sessions(View):
    @blp.arguments(PageQueryArgsSchema, location="query")
    @blp.response(200, SessionPageSchema)
    @documents_errors(blp, 401)
    def get(self, args):
        """List your signed-in sessions"""
        return service.list_sessions(session=db_session(), principal=current_principal(), **args)


@blp.route("/sessions/<uuid:session_id>")
class SessionItem(View):
    @blp.response(204)
    @documents_errors(blp, 401, 404)
    def delete(self, session_id: uuid.UUID):
        """Sign a session out"""
        service.end_session(
            session=db_session(), principal=current_principal(), session_id=session_id, now=now()
        )
