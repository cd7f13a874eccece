"""openapi.yaml as client generators read it (API.md Part 2, "Conventions, sharpened"): what
api/spec.py declares once holds for every operation, new ones included; /docs works offline;
the contract checker of tests/contract.py fails loudly."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask_limiter.util import get_qualified_name

from api.extensions import api, limiter
from api.spec import OPERATION_IDS, derived_operation_id
from tests.contract import ContractViolation, check_response

LOWER_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@pytest.fixture
def spec(app) -> dict:
    with app.app_context():
        return api.spec.to_dict()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_unique_lower_camel_case_id_a_summary_and_a_description(spec):
    seen: dict[str, str] = {}
    for where, operation in operations(spec):
        op_id = operation.get("operationId", "")
        assert LOWER_CAMEL.match(op_id), f"{where}: operationId {op_id!r} is not lowerCamelCase"
        assert op_id not in seen, (
            f"{where} and {seen.get(op_id)} share operationId {op_id!r}: give one of them "
            f'its own name in api.spec.OPERATION_IDS, e.g. "{where}": "..."'
        )
        seen[op_id] = where
        assert operation.get("summary", "").strip(), f"{where}: no summary (docstring line 1)"
        assert operation.get("description", "").strip(), f"{where}: no description"
        assert operation["description"] != operation["summary"], where


def test_the_names_table_names_only_operations_that_exist(spec):
    existing = {where for where, _ in operations(spec)}
    assert set(OPERATION_IDS) <= existing, set(OPERATION_IDS) - existing


def test_an_operation_missing_from_the_table_still_gets_a_readable_unique_id():
    assert derived_operation_id("get", "/v1/home") == "getHome"
    assert derived_operation_id("post", "/v1/me/notifications/read-all") == (
        "createMeNotificationsReadAll"
    )
    assert derived_operation_id("get", "/v1/couple/rounds/{round_id}") == (
        "getCoupleRoundsByRoundId"
    )


def test_every_response_documents_its_request_id_and_every_operation_the_shared_500(spec):
    components = spec["components"]
    assert "X-Request-ID" in components["headers"]
    shared = components["responses"]["InternalError"]
    assert shared["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert shared["headers"]["X-Request-ID"] == {"$ref": "#/components/headers/X-Request-ID"}
    for where, operation in operations(spec):
        responses = operation["responses"]
        assert responses["500"] == {"$ref": "#/components/responses/InternalError"}, where
        for code, response in responses.items():
            headers = response.get("headers") or components["responses"].get(
                response.get("$ref", "").rsplit("/", 1)[-1], {}
            ).get("headers", {})
            assert headers.get("X-Request-ID") == {"$ref": "#/components/headers/X-Request-ID"}, (
                where,
                code,
            )


def test_429_with_retry_after_is_documented_exactly_where_a_rate_limit_applies(app, spec):
    limited = set()
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in METHODS:
            func = getattr(view_class, method, None)
            decorated = limiter.limit_manager._decorated_limits
            if func is not None and get_qualified_name(func) in decorated:
                path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
                limited.add(f"{method.upper()} {path}")
    assert limited >= {"POST /v1/auth/login", "POST /v1/auth/register"}
    documented = {where for where, op in operations(spec) if "429" in op["responses"]}
    assert documented == limited
    for where, operation in operations(spec):
        if where in limited:
            headers = operation["responses"]["429"]["headers"]
            assert headers["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
            assert "Rate-limited" in operation["description"]


def test_idempotent_creates_document_the_replay_header(spec):
    takes_key = [
        (where, op)
        for where, op in operations(spec)
        if any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", []))
    ]
    assert len(takes_key) > 10
    for where, operation in takes_key:
        headers = operation["responses"]["201"]["headers"]
        assert headers["Idempotent-Replayed"] == {
            "$ref": "#/components/headers/Idempotent-Replayed"
        }, where
    assert spec["components"]["headers"]["Idempotent-Replayed"]["schema"]["enum"] == ["true"]


def test_servers_and_licence_are_declared(spec):
    assert spec["servers"] == [{"url": "/", "description": "The host serving this document"}]
    assert spec["info"]["license"]["name"]


def test_closed_sets_in_responses_are_enums(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Round"]["properties"]["kind"]["enum"] == ["gratitude", "check_in"]
    assert schemas["User"]["properties"]["role"]["enum"] == ["partner", "therapist"]
    assert schemas["TokenPair"]["properties"]["token_type"]["enum"] == ["Bearer"]
    assert schemas["Schedule"]["properties"]["days"]["items"]["enum"][0] == "mon"
    closed = {"kind", "status", "role", "platform", "scope", "outcome", "token_type", "direction"}
    for name, schema in schemas.items():
        for prop, definition in (schema.get("properties") or {}).items():
            if prop in closed and definition.get("readOnly") and definition.get("type") == "string":
                assert "enum" in definition, f"{name}.{prop} is a closed set: declare its enum"


def test_request_defaults_are_said_in_words_so_generators_keep_the_field_optional(spec):
    login = spec["components"]["schemas"]["Login"]["properties"]["device_name"]
    assert "default" not in login and "When left out: `null`." in login["description"]
    register = spec["components"]["schemas"]["Register"]["properties"]["role"]
    assert 'When left out: `"partner"`.' in register["description"]


def test_notification_kinds_are_named_properties_and_empty_strings_are_refused(spec):
    schemas = spec["components"]["schemas"]
    update = schemas["KindSwitchesUpdate"]
    assert update["additionalProperties"] is False
    assert update["properties"]["gratitude_received"] == {"type": "boolean"}
    assert set(schemas["KindSwitches"]["required"]) == set(update["properties"])
    assert schemas["Register"]["properties"]["timezone"]["minLength"] == 1
    assert schemas["UserUpdate"]["properties"]["timezone"]["minLength"] == 1
    cursors = [
        p["schema"]
        for _, op in operations(spec)
        for p in op.get("parameters", [])
        if p.get("name") == "cursor"
    ]
    assert cursors and all(c["minLength"] == 1 for c in cursors)


def test_an_unknown_kind_of_push_is_refused_naming_it(client, factory):
    me = factory.partner()
    body = {"quiet_hours": None, "daily_cap": 5, "kinds": {"gratitude_received": False}}
    response = client.put("/v1/me/notification-settings", json=body, headers=me.headers)
    assert response.status_code == 200
    body["kinds"] = {"no_such_kind": False}
    response = client.put("/v1/me/notification-settings", json=body, headers=me.headers)
    assert response.status_code == 422
    body["kinds"] = {"gratitude_received": 0}
    response = client.put("/v1/me/notification-settings", json=body, headers=me.headers)
    assert response.status_code == 422
    assert "gratitude_received" in response.get_json()["errors"]["json"]["kinds"]


def test_a_whole_number_written_as_5_0_is_an_integer(client, couple):
    first, _, _ = couple
    for value, status in ((5.0, 200), (5, 200), ("5", 422), (True, 422), (5.5, 422)):
        response = client.put(
            "/v1/couple/settings", json={"reassurance_daily_limit": value}, headers=first.headers
        )
        assert response.status_code == status, value


# --- the contract checker fails loudly ---------------------------------------------------------


def test_the_contract_checker_refuses_an_answer_missing_a_required_property(app, client, factory):
    me = factory.partner()
    response = client.get("/v1/me", headers=me.headers)
    assert response.status_code == 200  # checked, and whole
    body = response.get_json()
    del body["timezone"]
    response.set_data(__import__("json").dumps(body))
    with pytest.raises(ContractViolation, match=r'GET /v1/me → 200.*"timezone" is a required'):
        check_response(app, response)


def test_the_contract_checker_refuses_a_null_where_none_is_documented(app, client, factory):
    me = factory.partner()
    response = client.get("/v1/me", headers=me.headers)
    body = response.get_json()
    body["display_name"] = None
    response.set_data(__import__("json").dumps(body))
    with pytest.raises(ContractViolation, match="display_name"):
        check_response(app, response)


def test_the_contract_checker_runs_on_every_test_client_answer(app, factory, monkeypatch):
    import schemas.accounts

    me = factory.partner()
    # A serialiser that forgets a field: the suite's own client must fail the test.
    monkeypatch.setattr(
        schemas.accounts.UserSchema, "dump", lambda self, obj, **kw: {"id": str(obj.id)}
    )
    with pytest.raises(ContractViolation, match="required"):
        app.test_client().get("/v1/me", headers=me.headers)


# --- /docs, offline ------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_docs_load_everything_from_steady(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    links = _Links()
    links.feed(html)
    assert len(links.urls) >= 3
    for url in links.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"/docs loads {url} from elsewhere"
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert len(answer.get_data()) > 1000, url
    # No other address anywhere in the page (scripts can fetch too).
    assert not re.search(r"https?://", html), re.findall(r"https?://[^\s\"']+", html)
    # The viewer does not send the document to an online validator.
    assert '"validatorUrl": null' in html
    assert client.get("/openapi.json").status_code == 200


def test_docs_assets_are_the_pinned_ones_only(client):
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    missing = client.get("/docs/assets/../../api/__init__.py")
    assert missing.status_code == 404
    assert client.get("/docs/assets/LICENSE").status_code == 404
