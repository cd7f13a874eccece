"""Who is calling: bearer authentication and role checks, before any body is parsed."""

from __future__ import annotations

from enum import StrEnum

from flask import current_app, g, request
from flask.views import MethodView

from api.accounts.models import User
from api.auth import service
from api.auth.service import Principal
from api.auth.tokens import TokenSettings
from api.db import db_session, now
from api.errors import Forbidden, Unauthorized


class Access(StrEnum):
    PUBLIC = "public"
    USER = "user"  # either role
    PARTNER = "partner"
    THERAPIST = "therapist"


class View(MethodView):
    """Base of every API view; `access` says who may call it (checked before parsing)."""

    access: Access = Access.USER


class PartnerView(View):
    """Everything under /v1/couple and /v1/invites: partners only (403 partners_only)."""

    access = Access.PARTNER


class TherapistView(View):
    """Everything under /v1/therapist: therapists only (403 therapist_only)."""

    access = Access.THERAPIST


def token_settings() -> TokenSettings:
    cfg = current_app.config
    return TokenSettings(
        secret=cfg["SECRET_KEY"],
        issuer=cfg["JWT_ISSUER"],
        audience=cfg["JWT_AUDIENCE"],
        access_ttl_seconds=cfg["ACCESS_TOKEN_TTL_SECONDS"],
    )


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        raise Unauthorized("missing_token", "A bearer token is required.")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 8192:
        raise Unauthorized("invalid_token", "The Authorization header must be 'Bearer <token>'.")
    return token


def authenticate_request() -> None:
    """Runs before every view: resolves the caller and enforces the view's role."""
    if request.url_rule is None:
        return
    view_func = current_app.view_functions.get(request.endpoint or "")
    access = getattr(getattr(view_func, "view_class", None), "access", None)
    if access is None or access == Access.PUBLIC:
        return
    principal = service.authenticate(
        session=db_session(),
        settings=token_settings(),
        token=_bearer_token(),
        now=now(),
        firebase_verifier=current_app.extensions.get("steady_firebase_verifier"),
    )
    g.principal = principal
    # Kept apart from the ORM object, which a failed transaction may leave unreadable.
    g.user_id = str(principal.user.id)
    role = principal.user.role
    if access == Access.PARTNER and role != "partner":
        raise Forbidden("partners_only", "Only partners can do this.")
    if access == Access.THERAPIST and role != "therapist":
        raise Forbidden("therapist_only", "Only therapists can do this.")


def current_principal() -> Principal:
    return g.principal


def current_user() -> User:
    return g.principal.user
