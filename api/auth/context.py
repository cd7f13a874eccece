"""Who is calling: bearer authentication and role checks, before any body is parsed."""

from __future__ import annotations

from enum import StrEnum

from flask import current_app, g, request
from flask.views import MethodView

from api.accounts.models import User
from api.auth import service
from api.auth.service import Principal
from api.auth.tokens import TokenSettings, is_own_token
from api.db import db_session, now, write_session
from api.errors import Forbidden, Unauthorized

# The app may set a SessionLoader here that reads more of the caller in the same statement.
CALLER_LOADER = "steady_caller_loader"


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
    token = _bearer_token()
    settings = token_settings()
    firebase_verifier = current_app.extensions.get("steady_firebase_verifier")
    principal = service.authenticate(
        # A Firebase user is created on first use: that read may write, even in a GET.
        session=write_session()
        if firebase_verifier is not None and not is_own_token(token, settings)
        else db_session(),
        settings=settings,
        token=token,
        now=now(),
        firebase_verifier=firebase_verifier,
        load=current_app.extensions.get(CALLER_LOADER, service.load_session),
    )
    g.principal = principal
    # Kept apart from the ORM object, which a failed transaction may leave unreadable.
    g.user_id = str(principal.user.id)
    role = principal.user.role
    if access == Access.PARTNER and role != "partner":
        raise Forbidden("partners_only", "Only partners can do this.")
    if access == Access.THERAPIST and role != "therapist":
        raise Forbidden("therapist_only", "Only therapists can do this.")


def touch_session(_exc: BaseException | None = None) -> None:
    """After the request: records that the session was used, at most once a minute, in a short
    transaction after the request's own work (a read never takes the write lock for it)."""
    principal = g.get("principal")
    if principal is None or principal.session_id is None or principal.last_used_at is None:
        return
    at = now()
    if at - principal.last_used_at <= service.LAST_USED_RESOLUTION:
        return
    session = write_session()
    session.rollback()  # whatever the request left unfinished is not ours to keep
    service.touch_session(session=session, session_id=principal.session_id, now=at)


def current_principal() -> Principal:
    return g.principal


def current_user() -> User:
    return g.principal.user
