"""Conventions declared once for the whole of openapi.yaml, as an apispec plugin.

Views mark what they are (`CONDITIONAL`, a `limiter.limit`, their `access`); the plugin writes
what that means into every operation, instead of each route repeating it:

- a unique lowerCamelCase `operationId` (`OPERATION_IDS`, else derived from method and path),
  a summary (the docstring's first line) and a description (the docstring's body, or what the
  operation's caller, headers and limits are);
- `X-Request-ID` on every response, the shared `500 internal_error` on every operation, and
  `429` with `Retry-After` on every operation a rate limit applies to;
- for conditional GETs: `If-None-Match`, `ETag` and 304.

A new route gets all of this with no extra work; tests/test_openapi_conventions.py checks it.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask
from flask_limiter.util import get_qualified_name

# A couple-scoped GET answering with an ETag and 304 (see api.conditional).
CONDITIONAL = "x-steady-conditional"

REQUEST_ID = "X-Request-ID"
RETRY_AFTER = "Retry-After"
INTERNAL_ERROR = "InternalError"

# Readable names for the operations clients call most; any operation not listed gets one
# derived from its method and path (see `derived_operation_id`), so a new route is never
# without one. Keys are "METHOD /path" as openapi.yaml writes them.
OPERATION_IDS = {
    "GET /healthz": "checkHealth",
    "GET /readyz": "checkReadiness",
    "POST /v1/auth/register": "registerAccount",
    "POST /v1/auth/login": "login",
    "POST /v1/auth/logout": "logout",
    "POST /v1/auth/refresh": "refreshTokens",
    "GET /v1/auth/sessions": "listSessions",
    "DELETE /v1/auth/sessions/{session_id}": "endSession",
    "GET /v1/me": "getAccount",
    "PATCH /v1/me": "updateAccount",
    "DELETE /v1/me": "deleteAccount",
    "GET /v1/me/export": "exportAccount",
    "GET /v1/me/devices": "listDevices",
    "POST /v1/me/devices": "registerDevice",
    "DELETE /v1/me/devices/{device_id}": "removeDevice",
    "GET /v1/me/notification-settings": "getNotificationSettings",
    "PUT /v1/me/notification-settings": "replaceNotificationSettings",
    "GET /v1/me/notifications": "listNotifications",
    "POST /v1/me/notifications/{notification_id}/read": "markNotificationRead",
    "GET /v1/me/journal": "listJournalEntries",
    "POST /v1/me/journal": "writeJournalEntry",
    "GET /v1/me/journal/patterns": "getJournalPatterns",
    "GET /v1/me/journal/{entry_id}": "getJournalEntry",
    "PATCH /v1/me/journal/{entry_id}": "updateJournalEntry",
    "DELETE /v1/me/journal/{entry_id}": "deleteJournalEntry",
    "GET /v1/invites": "listInvites",
    "POST /v1/invites": "createInvite",
    "DELETE /v1/invites/{code}": "withdrawInvite",
    "POST /v1/invites/{code}/accept": "acceptInvite",
    "GET /v1/couple": "getCouple",
    "DELETE /v1/couple": "unpair",
    "GET /v1/couple/settings": "getCoupleSettings",
    "PUT /v1/couple/settings": "replaceCoupleSettings",
    "GET /v1/prompts": "listPrompts",
    "POST /v1/couple/prompts": "createPrompt",
    "GET /v1/couple/rounds": "listRounds",
    "POST /v1/couple/rounds": "askNow",
    "GET /v1/couple/rounds/{round_id}": "getRound",
    "POST /v1/couple/rounds/{round_id}/answers": "answerRound",
    "GET /v1/couple/schedules": "listSchedules",
    "POST /v1/couple/schedules": "createSchedule",
    "GET /v1/couple/schedules/{schedule_id}": "getSchedule",
    "PATCH /v1/couple/schedules/{schedule_id}": "updateSchedule",
    "DELETE /v1/couple/schedules/{schedule_id}": "deleteSchedule",
    "GET /v1/couple/gratitude": "listGratitudeNotes",
    "POST /v1/couple/gratitude": "sendGratitudeNote",
    "GET /v1/couple/gratitude/{note_id}": "getGratitudeNote",
    "POST /v1/couple/gratitude/{note_id}/acknowledge": "acknowledgeGratitudeNote",
    "GET /v1/couple/commitments": "listCommitments",
    "POST /v1/couple/commitments": "createCommitment",
    "GET /v1/couple/commitments/{commitment_id}": "getCommitment",
    "PATCH /v1/couple/commitments/{commitment_id}": "updateCommitment",
    "DELETE /v1/couple/commitments/{commitment_id}": "deleteCommitment",
    "GET /v1/couple/commitments/{commitment_id}/checks": "listChecks",
    "POST /v1/couple/commitments/{commitment_id}/checks": "recordCheck",
    "POST /v1/couple/commitments/{commitment_id}/checks/{check_id}/confirm": "confirmCheck",
    "GET /v1/couple/agreements": "listAgreements",
    "POST /v1/couple/agreements": "createAgreement",
    "GET /v1/couple/agreements/{agreement_id}": "getAgreement",
    "PATCH /v1/couple/agreements/{agreement_id}": "updateAgreement",
    "DELETE /v1/couple/agreements/{agreement_id}": "deleteAgreement",
    "POST /v1/couple/agreements/{agreement_id}/check-ins": "checkIn",
    "POST /v1/couple/agreements/{agreement_id}/late": "reportRunningLate",
    "GET /v1/couple/agreements/{agreement_id}/occurrences": "listAgreementOccurrences",
    "GET /v1/couple/reassurance-requests": "listReassuranceRequests",
    "POST /v1/couple/reassurance-requests": "askForReassurance",
    "GET /v1/couple/reassurance-requests/{request_id}": "getReassuranceRequest",
    "POST /v1/couple/reassurance-requests/{request_id}/answer": "answerReassuranceRequest",
    "POST /v1/couple/reassurance-requests/{request_id}/withdraw": "withdrawReassuranceRequest",
    "GET /v1/couple/progress": "getProgress",
    "GET /v1/couple/therapists": "listTherapistGrants",
    "POST /v1/couple/therapists": "addTherapist",
    "GET /v1/couple/therapists/{grant_id}": "getTherapistGrant",
    "DELETE /v1/couple/therapists/{grant_id}": "endTherapistGrant",
    "POST /v1/couple/therapists/{grant_id}/approve": "approveTherapistGrant",
    "GET /v1/couple/therapists/{grant_id}/access-log": "listTherapistAccessLog",
    "POST /v1/therapist/link-codes": "createLinkCode",
    "GET /v1/therapist/couples": "listClientCouples",
    "GET /v1/therapist/couples/{couple_id}/progress": "getClientProgress",
    "GET /v1/therapist/couples/{couple_id}/rounds": "listClientRounds",
    "GET /v1/therapist/couples/{couple_id}/gratitude": "listClientGratitudeNotes",
    "GET /v1/therapist/couples/{couple_id}/agreements": "listClientAgreements",
    "GET /v1/therapist/couples/{couple_id}/journal": "listClientJournalEntries",
    "GET /v1/therapist/couples/{couple_id}/assignments": "listAssignments",
    "POST /v1/therapist/couples/{couple_id}/assignments": "createAssignment",
    "DELETE /v1/therapist/couples/{couple_id}/assignments/{assignment_id}": "stopAssignment",
    "GET /v1/therapist/couples/{couple_id}/commitments": "listClientCommitments",
    "GET /v1/therapist/grants": "listClientGrants",
    "GET /v1/home": "getHome",
    "GET /v1/locales": "listLocales",
    "GET /v1/me/notifications/unread-count": "countUnreadNotifications",
    "POST /v1/me/notifications/read-all": "markAllNotificationsRead",
}

_VERBS = {"get": "get", "post": "create", "put": "replace", "patch": "update", "delete": "delete"}
_PARAM = re.compile(r"^\{(.+)\}$")


def _camel(words: list[str]) -> str:
    return "".join(w[:1].upper() + w[1:] for w in words)


def derived_operation_id(method: str, path: str) -> str:
    """`getCoupleRoundsByRoundId`-style: the verb, then every literal segment after the
    version, then the path parameters; unique because method and path are."""
    words: list[str] = []
    params: list[str] = []
    for segment in path.strip("/").split("/"):
        if segment == "v1" or not segment:
            continue
        match = _PARAM.match(segment)
        if match:
            params.append(_camel(match.group(1).split("_")))
        else:
            words.append(_camel(re.split(r"[-_.]", segment)))
    name = _VERBS.get(method, method) + "".join(words)
    return name + ("By" + "And".join(params) if params else "")


def operation_id(method: str, path: str) -> str:
    return OPERATION_IDS.get(f"{method.upper()} {path}") or derived_operation_id(method, path)


# --- shared components ----------------------------------------------------------------------

_HEADERS = {
    REQUEST_ID: {
        "description": "Identifies this request in Steady's logs: the caller's own "
        "`X-Request-ID` when it is 1-128 of `A-Za-z0-9._:-`, else one Steady made. Quote it "
        "when reporting a problem.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
    },
    RETRY_AFTER: {
        "description": "Seconds until the breached limit's window ends and a retry can "
        "succeed.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _ref_header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


class ContractPlugin(BasePlugin):
    """Knows the app, to read what each route's view declares (its access, its limits)."""

    def __init__(self, app: Flask, *, limiter: Any) -> None:
        self.app = app
        self.limiter = limiter

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        for name, header in _HEADERS.items():
            spec.components.header(name, deepcopy(header))
        spec.components.response(
            INTERNAL_ERROR,
            {
                "description": "Something went wrong on Steady's side (`internal_error`); "
                "the request can be retried later.",
                "content": deepcopy(_ERROR),
                "headers": {REQUEST_ID: _ref_header(REQUEST_ID)},
            },
        )

    def schema_helper(self, name, definition, **kwargs) -> None:
        # Runs after the marshmallow plugin, on the JSON schema it made. In a request schema
        # a property with a `default` may be left out, but generators treat a schema with a
        # default as always present (openapi-typescript makes the field required), so there
        # the default is said in words. Response schemas say what is present with `required`.
        schema = kwargs.get("schema")
        if schema is None or _is_response_schema(schema):
            return
        for prop in (definition.get("properties") or {}).values():
            if "default" in prop:
                default = prop.pop("default")
                note = f"When left out: `{json.dumps(default)}`."
                described = prop.get("description")
                prop["description"] = f"{described} {note}" if described else note

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        view_class = getattr(self.app.view_functions.get(rule.endpoint), "view_class", None)
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            if operation.pop(CONDITIONAL, False):
                _conditional(operation)
            limited = _rate_limited(self.limiter, getattr(view_class, method, None))
            if limited:
                _rate_limit(operation)
            operation.setdefault("operationId", operation_id(method, path))
            operation.setdefault("summary", _fallback_summary(method, path))
            if not operation.get("description"):
                operation["description"] = _description(
                    operation, access=getattr(view_class, "access", None), limited=limited
                )
            operation["responses"][500] = INTERNAL_ERROR
            for code, response in operation["responses"].items():
                if isinstance(response, dict) and "$ref" not in response:
                    headers = response.setdefault("headers", {})
                    headers.setdefault(REQUEST_ID, _ref_header(REQUEST_ID))
                    if str(code) == "429":
                        headers.setdefault(RETRY_AFTER, _ref_header(RETRY_AFTER))


def _is_response_schema(schema: Any) -> bool:
    from schemas.common import ResponseSchema

    cls = schema if isinstance(schema, type) else type(schema)
    return issubclass(cls, ResponseSchema)


def _rate_limited(limiter: Any, func) -> bool:
    """Whether a `limiter.limit` decorates the view (Flask-Limiter keys its decorated limits by
    the function's qualified name)."""
    if func is None:
        return False
    return get_qualified_name(func) in limiter.limit_manager._decorated_limits


def _fallback_summary(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


_CALLERS = {
    "public": "Anyone may call this; no token is needed.",
    "user": "Needs a signed-in account's bearer token (a partner's or a therapist's).",
    "partner": "Needs a partner's bearer token; a therapist's is refused with 403 "
    "`partners_only`.",
    "therapist": "Needs a therapist's bearer token; a partner's is refused with 403 "
    "`therapist_only`.",
}


def _description(operation: dict[str, Any], *, access: Any, limited: bool) -> str:
    """What a reader needs beyond the summary, from what the route declares."""
    parts = [operation.get("summary", "").rstrip(".") + "."]
    if operation.get("security") == [] or access is None:
        parts.append(_CALLERS["public"])
    else:
        parts.append(_CALLERS.get(str(access), _CALLERS["user"]))
    names = {p.get("name") for p in operation.get("parameters", []) if isinstance(p, dict)}
    if "If-None-Match" in names:
        parts.append(
            "Answers with an `ETag`; send it back as `If-None-Match` to get 304 while "
            "nothing you would see has changed."
        )
    if "Idempotency-Key" in names:
        parts.append(
            "Send an `Idempotency-Key` to retry safely: a repeat replays the first answer."
        )
    if limited:
        parts.append("Rate-limited: past the limit, 429 with `Retry-After`.")
    return " ".join(parts)


def _response(operation: dict[str, Any], code: int) -> dict[str, Any]:
    responses = operation.setdefault("responses", {})
    # Status codes are still the routes' integers here; apispec turns them into strings.
    return responses.get(code) or responses.setdefault(str(code), {})


def _rate_limit(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if 429 not in responses and "429" not in responses:
        responses[429] = {"description": "Too Many Requests", "content": deepcopy(_ERROR)}


def _conditional(operation: dict[str, Any]) -> None:
    # Copies: a dict shared between operations would be written out as a YAML anchor.
    operation.setdefault("parameters", []).append(deepcopy(_IF_NONE_MATCH))
    _response(operation, 200).setdefault("headers", {})["ETag"] = deepcopy(_ETAG)
    operation["responses"][304] = {"description": "Not Modified: your copy still holds."}
    if 422 not in operation["responses"] and "422" not in operation["responses"]:
        operation["responses"][422] = {
            "description": "Unprocessable Entity",
            "content": deepcopy(_ERROR),
        }


_ETAG = {
    "description": "Changes whenever what you would see here changes; send it back as "
    "`If-None-Match` to get 304 while it holds.",
    "schema": {"type": "string"},
}
_IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "The `ETag` of an earlier answer: 304 Not Modified while it still holds.",
    "schema": {"type": "string", "maxLength": 1024},
}
