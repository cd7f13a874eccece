"""The therapist workspace's pages under /therapist.

A plain Flask blueprint, not a flask-smorest one: pages are not part of the API contract.
Routes stay thin (read the form or query, one page builder or service call, render); couples
are reached only through `couple_access`, the API's own consent check, which also writes the
couple's access log. Sign-in uses the API's password check and shares its rate limits.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from urllib.parse import urlsplit

import marshmallow as ma
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.exceptions import NotFound as HTTPNotFound

from api.auth.context import current_user
from api.auth.limits import login_rate_limits
from api.auth.service import Principal
from api.db import db_session, now
from api.errors import DomainError, Forbidden, Unauthorized
from api.extensions import retry_after_seconds
from api.therapists import service as therapists_service
from api.therapists.context import couple_access
from api.web import charts, csrf, formatting, i18n, pages
from api.web import sessions as web_sessions
from api.web.i18n import N_, _
from schemas.therapists import AssignmentCreateSchema

log = logging.getLogger("steady.web")

blp = Blueprint(
    "workspace",
    __name__,
    url_prefix="/therapist",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

COOKIE = "steady_workspace"
LOGIN_COOKIE = "steady_login"
PREFIX = "/therapist"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'"
)
# Reachable without a session: the sign-in form and the stylesheet it needs.
OPEN_ENDPOINTS = {"workspace.login_form", "workspace.login", "workspace.static"}


class Refused(BadRequest):
    """A request refused with a message of ours (a POST without a valid CSRF token, a period
    not offered), before anything is read or changed."""


@blp.record_once
def _set_up(state) -> None:
    i18n.install(state.app.jinja_env)
    state.app.after_request(_security_headers)


def _in_workspace() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def _security_headers(response: Response) -> Response:
    """On every workspace response, error pages and assets included."""
    if not _in_workspace():
        return response
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "workspace.static":
        # Pages hold clients' data: no shared cache, and the back button after signing out
        # asks the server again.
        response.headers["Cache-Control"] = "no-store"
    return response


def _secure_cookies() -> bool:
    return current_app.config["STEADY_ENV"] not in ("development", "test")


def _set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        secure=_secure_cookies(),
        httponly=True,
        samesite="Lax",
    )


def _forget_cookie(response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=PREFIX, secure=_secure_cookies(), httponly=True, samesite="Lax"
    )


def _csrf_binding() -> str | None:
    """What this browser's form tokens are bound to: its session, or before sign-in its
    login nonce."""
    if "web_session_id" in g:
        return str(g.web_session_id)
    return g.get("login_nonce") or request.cookies.get(LOGIN_COOKIE)


def _check_csrf() -> None:
    if not csrf.is_valid(
        secret=current_app.config["SECRET_KEY"],
        binding=_csrf_binding(),
        token=request.form.get(csrf.FIELD),
    ):
        raise Refused(
            _(
                "This form could not be accepted: it expired, or it did not come from this "
                "page. Nothing was changed. Go back, reload the page and try again."
            )
        )


def _safe_next(target: str | None) -> str:
    """Only a path inside the workspace: never an open redirect."""
    default = url_for("workspace.overview")
    if not target or len(target) > 1000 or "\\" in target or ".." in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/"):
        return default
    return target


def _to_login(refusal: str | None) -> Response:
    args = {}
    if request.method == "GET" and request.endpoint != "workspace.overview":
        args["next"] = request.full_path.rstrip("?")
    if refusal in ("idle", "expired"):
        args["ended"] = refusal
    response = redirect(url_for("workspace.login_form", **args), code=303)
    if refusal not in (None, "missing"):
        _forget_cookie(response, COOKIE)
    return response


@blp.before_request
def _signed_in_therapist():
    """Every page but the sign-in form needs an open web session; every POST a CSRF token."""
    if request.endpoint in OPEN_ENDPOINTS:
        if request.method == "POST":
            _check_csrf()
        return None
    resolved = web_sessions.resolve(
        session=db_session(), token=request.cookies.get(COOKIE), now=now()
    )
    if resolved.user is None or resolved.web_session is None:
        return _to_login(resolved.refusal)
    g.web_session_id = resolved.web_session.id
    # The API's principal: current_user() and couple_access() work unchanged.
    g.principal = Principal(user=resolved.user, session_id=None)
    g.user_id = str(resolved.user.id)
    if request.method == "POST":
        _check_csrf()
    return None


@blp.context_processor
def _template_helpers():
    def csrf_token() -> str:
        binding = _csrf_binding()
        if binding is None:
            return ""
        return csrf.issue(secret=current_app.config["SECRET_KEY"], binding=binding)

    return {"csrf_token": csrf_token, "csrf_field": csrf.FIELD, "swatch": charts.swatch}


# --- errors -----------------------------------------------------------------------------------

_TITLES = {
    400: N_("The request could not be read"),
    403: N_("Not available to you"),
    404: N_("Not found"),
    405: N_("Not found"),
    413: N_("Too much at once"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
}
_MESSAGES = {
    400: N_("The page could not make sense of the request."),
    403: N_("You may not see this page."),
    404: N_(
        "There is nothing here, or it is no longer shared with you: a couple's figures are "
        "visible only while both partners keep your access."
    ),
    405: N_("There is nothing here."),
    413: N_("The form was too large to send."),
    429: N_("Too many attempts in a short time. Please wait a few minutes and try again."),
    500: N_("Something went wrong on our side. Please try again in a moment."),
}


def _error_page(status: int, message: str | None = None) -> Response:
    status = status if status in _TITLES else (500 if status >= 500 else 400)
    body = render_template(
        "error.html",
        status=status,
        title=_(_TITLES[status]),
        message=message or _(_MESSAGES[status]),
    )
    response = Response(body, status=status, mimetype="text/html")
    if status == 429:
        response.headers["Retry-After"] = retry_after_seconds()
    return response


@blp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Response:
    return _error_page(error.status)


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    if isinstance(error, Refused):
        return _error_page(400, error.description)
    return _error_page(error.code or 500)


@blp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error in the workspace", exc_info=error)
    return _error_page(500)


# --- signing in and out -----------------------------------------------------------------------

_ENDED = {
    "idle": N_("You were signed out after 30 minutes without activity."),
    "expired": N_("Sessions last 12 hours. Please sign in again."),
}


def _login_page(*, status: int = 200, error: str | None = None, email: str = "") -> Response:
    notice = None
    if request.args.get("signed_out"):
        notice = _("You are signed out.")
    elif request.args.get("ended") in _ENDED:
        notice = _(_ENDED[request.args["ended"]])
    body = render_template(
        "login.html",
        error=error,
        notice=notice,
        email=email,
        next=_safe_next(request.args.get("next")),
    )
    return Response(body, status=status, mimetype="text/html")


@blp.get("/login")
def login_form():
    """The sign-in form; an open session goes straight to the overview."""
    resolved = web_sessions.resolve(
        session=db_session(), token=request.cookies.get(COOKIE), now=now()
    )
    if resolved.user is not None:
        return redirect(url_for("workspace.overview"), code=303)
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce or len(nonce) > 64:
        nonce = g.login_nonce = secrets.token_urlsafe(16)
    response = _login_page()
    _set_cookie(
        response, LOGIN_COOKIE, nonce, max_age=int(web_sessions.ABSOLUTE_TIMEOUT.total_seconds())
    )
    return response


@blp.post("/login")
@login_rate_limits
def login():
    """Signs a therapist in with the API's own password check and rate limits."""
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    if not email.strip() or not password or len(email) > 254 or len(password) > 256:
        return _login_page(status=422, error=_("Enter your email and password."), email=email)
    try:
        signed_in = web_sessions.sign_in(
            session=db_session(), email=email, password=password, now=now()
        )
    except Unauthorized:
        return _login_page(status=401, error=_("The email or password is wrong."), email=email)
    except Forbidden:
        return _login_page(status=403, error=_("This space is for therapists."), email=email)
    response = redirect(_safe_next(request.args.get("next")), code=303)
    _set_cookie(
        response,
        COOKIE,
        signed_in.token,
        max_age=int(web_sessions.ABSOLUTE_TIMEOUT.total_seconds()),
    )
    _forget_cookie(response, LOGIN_COOKIE)
    return response


@blp.post("/logout")
def logout():
    """Ends this browser's session at once."""
    web_sessions.sign_out(session=db_session(), web_session_id=g.web_session_id, now=now())
    response = redirect(url_for("workspace.login_form", signed_out=1), code=303)
    _forget_cookie(response, COOKIE)
    return response


# --- pages ------------------------------------------------------------------------------------


def _weeks() -> int:
    raw = request.args.get("weeks")
    if raw is None:
        return pages.DEFAULT_WEEKS
    if raw.isdigit() and int(raw) in pages.WEEK_CHOICES:
        return int(raw)
    raise Refused(_("Choose 4, 8, 12, 26 or 52 weeks."))


@blp.get("/")
def overview():
    """The therapist's couples at a glance, pending grants and link codes."""
    page = pages.overview(
        session=db_session(),
        therapist=current_user(),
        now=now(),
        access=lambda couple_id: couple_access(couple_id, "web.overview.read"),
    )
    return render_template("overview.html", page=page)


@blp.post("/link-codes")
def create_link_code():
    """A new code to give to a couple; the overview lists the codes that still work."""
    therapists_service.create_link_code(session=db_session(), therapist=current_user(), now=now())
    return redirect(url_for("workspace.overview", _anchor="link-codes"), code=303)


def _render_couple(grant, weeks: int, *, form=None, errors=None, status: int = 200):
    page = pages.couple_page(
        session=db_session(), grant=grant, therapist=current_user(), weeks=weeks, now=now()
    )
    body = render_template(
        "couple.html",
        page=page,
        week_choices=pages.WEEK_CHOICES,
        weekdays=formatting.weekday_choices(),
        form=form or {"kind": "check_in", "text": "", "days": [], "time": "", "timezone": ""},
        errors=errors or {},
    )
    return Response(body, status=status, mimetype="text/html")


@blp.get("/couples/<uuid:couple_id>")
def couple(couple_id: uuid.UUID):
    """A couple's weeks: charts with their numbers, commitments, assignments, content."""
    weeks = _weeks()
    return _render_couple(couple_access(couple_id, "web.couple.read"), weeks)


_FORM_ERRORS = {
    "kind": N_("Choose a check-in or a gratitude question."),
    "text": N_("Write the question, in at most 500 characters."),
    "days": N_("Choose the days, or none for every day."),
    "time": N_("Give the time as HH:MM."),
    "timezone": N_("Choose a time zone from the list."),
}


@blp.post("/couples/<uuid:couple_id>/assignments")
def add_assignment(couple_id: uuid.UUID):
    """Assigns the couple a question on a schedule, as the API's assignments do."""
    grant = couple_access(couple_id, "web.assignments.create")
    form = {
        "kind": request.form.get("kind", ""),
        "text": request.form.get("text", "").strip(),
        "days": request.form.getlist("days"),
        "time": request.form.get("time", ""),
        "timezone": request.form.get("timezone", ""),
    }
    try:
        data = AssignmentCreateSchema().load(
            {
                **form,
                "days": form["days"] or None,
                "timezone": form["timezone"] or None,
            }
        )
    except ma.ValidationError as exc:
        errors = {
            name: _(_FORM_ERRORS.get(name, N_("Check this field."))) for name in exc.messages
        }
        return _render_couple(grant, pages.DEFAULT_WEEKS, form=form, errors=errors, status=422)
    therapists_service.create_assignment(
        session=db_session(), grant=grant, therapist=current_user(), now=now(), **data
    )
    return redirect(url_for("workspace.couple", couple_id=couple_id, _anchor="assignments"), 303)


@blp.get("/couples/<uuid:couple_id>/report")
def report(couple_id: uuid.UUID):
    """The printable session-prep report."""
    weeks = _weeks()
    page = pages.couple_page(
        session=db_session(),
        grant=couple_access(couple_id, "web.report.read"),
        therapist=current_user(),
        weeks=weeks,
        now=now(),
        content_items=pages.REPORT_CONTENT_ITEMS,
        chart_width=charts.COMPACT_WIDTH,
    )
    return render_template("report.html", page=page, across=weeks <= pages.REPORT_ACROSS_WEEKS)


@blp.get("/couples/<uuid:couple_id>/report.csv")
def report_csv(couple_id: uuid.UUID):
    """The weekly figures as a CSV file, one row per week and partner."""
    weeks = _weeks()
    filename, text = pages.weekly_csv(
        session=db_session(),
        grant=couple_access(couple_id, "web.csv.read"),
        therapist=current_user(),
        weeks=weeks,
        now=now(),
    )
    # The byte order mark lets spreadsheet programs read the names as UTF-8.
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/<path:rest>", methods=["GET", "POST"])
def not_found(rest: str):
    """Any other path under the workspace: its own 404 page, not the API's JSON."""
    raise HTTPNotFound()
