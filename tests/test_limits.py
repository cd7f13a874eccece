"""Limits: every input is bounded, and going past a bound is a 4xx, never a 500.

The operations and schemas are read from the checked-in openapi.yaml, so a new list endpoint
or request field is held to the same rules without anyone remembering to add it here.
"""

from __future__ import annotations

import os
import uuid

import pytest
import yaml

from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_MEGABYTE = 1024 * 1024


def _contract() -> dict:
    with open(os.path.join(ROOT, "openapi.yaml")) as fh:
        return yaml.safe_load(fh)


SPEC = _contract()
SCHEMAS = SPEC["components"]["schemas"]


def _operations():
    for path, operations in SPEC["paths"].items():
        shared = operations.get("parameters", [])
        for method, operation in operations.items():
            if method != "parameters":
                yield method, path, operation, shared + operation.get("parameters", [])


def _url(path: str, parameters: list[dict]) -> str:
    """The path with well-formed placeholders: bounds are checked before any lookup."""
    values = {
        p["name"]: str(uuid.uuid4()) if p["schema"].get("format") == "uuid" else "ABCDEFGH"
        for p in parameters
        if p["in"] == "path"
    }
    return path.format(**values)


# --- bodies over 1 MB ----------------------------------------------------------------------------

OVERSIZED = b'{"text": "' + b"x" * ONE_MEGABYTE + b'"}'


@pytest.mark.parametrize(
    ("method", "path", "caller", "headers"),
    [
        ("POST", "/v1/auth/register", None, {}),
        ("POST", "/v1/auth/login", None, {}),
        ("PUT", "/v1/me/notification-settings", "partner", {}),
        ("POST", "/v1/couple/gratitude", "partner", {}),
        # The idempotency layer reads the body too, before the route does.
        ("POST", "/v1/couple/commitments", "partner", {"Idempotency-Key": "big-body"}),
        ("POST", "/v1/therapist/couples/{couple_id}/assignments", "therapist", {}),
    ],
)
def test_a_body_over_one_megabyte_is_413(client, factory, method, path, caller, headers):
    actor = {"partner": lambda: pair(factory)[0], "therapist": factory.therapist}.get(caller)
    auth = actor().headers if actor else {}
    response = client.open(
        path.format(couple_id=uuid.uuid4()),
        method=method,
        headers={**auth, **headers, "Content-Type": "application/json"},
        data=OVERSIZED,
    )
    assert_error(response, 413, "payload_too_large")
    assert "413" in SPEC["paths"][path][method.lower()]["responses"]


def test_every_operation_with_a_json_body_documents_400_and_413():
    for method, path, operation, _ in _operations():
        if "requestBody" in operation:
            assert {"400", "413"} <= set(operation["responses"]), (method, path)


# --- list limits ---------------------------------------------------------------------------------

LISTS = sorted(
    (path, parameters)
    for method, path, _, parameters in _operations()
    if method == "get" and any(p["in"] == "query" and p["name"] == "limit" for p in parameters)
)


def test_the_list_endpoints_are_found():
    assert len(LISTS) >= 15
    assert "/v1/couple/gratitude" in dict(LISTS) and "/v1/prompts" in dict(LISTS)


@pytest.mark.parametrize("limit", ["101", "1000000000000000000000", "0", "ten"])
def test_limit_out_of_range_is_422_on_every_list(client, factory, limit):
    partner, _, _ = pair(factory)
    therapist = factory.therapist()
    for path, parameters in LISTS:
        actor = therapist if path.startswith("/v1/therapist") else partner
        response = client.get(
            _url(path, parameters), query_string={"limit": limit}, headers=actor.headers
        )
        assert response.status_code == 422, (path, limit, response.get_json())
        assert_invalid_fields(response, "limit", location="query")


def test_the_contract_caps_limit_at_100():
    for path, parameters in LISTS:
        [limit] = [p for p in parameters if p["name"] == "limit"]
        assert limit["schema"]["maximum"] == 100, path


# --- every request string and array is bounded ---------------------------------------------------

UNBOUNDED_FORMATS_ALLOWED = {"uuid", "date", "date-time"}


def _unbounded(schema: dict, where: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """Strings without maxLength, enum or a fixed format, and arrays without maxItems."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded(SCHEMAS[name], name, seen | {name})
    if schema.get("readOnly"):
        return []  # never sent by a client
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for alternative in schema.get(key, []):
            found += _unbounded(alternative, where, seen)
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    if "string" in types and not (
        "maxLength" in schema
        or "enum" in schema
        or schema.get("format") in UNBOUNDED_FORMATS_ALLOWED
    ):
        found.append(f"{where}: string without maxLength")
    if "array" in types:
        if "maxItems" not in schema:
            found.append(f"{where}: array without maxItems")
        found += _unbounded(schema.get("items", {}), f"{where}[]", seen)
    for name, prop in schema.get("properties", {}).items():
        found += _unbounded(prop, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded(schema["additionalProperties"], f"{where}.*", seen)
    return found


def test_every_request_string_and_array_is_bounded():
    unbounded: list[str] = []
    bodies = 0
    for method, path, operation, parameters in _operations():
        for media in operation.get("requestBody", {}).get("content", {}).values():
            bodies += 1
            unbounded += _unbounded(media["schema"], f"{method.upper()} {path} body")
        for parameter in parameters:
            if parameter["in"] in ("query", "header"):
                where = f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
                unbounded += _unbounded(parameter["schema"], where)
    assert bodies >= 15
    assert sorted(set(unbounded)) == []


def test_the_bounds_check_notices_an_unbounded_field():
    assert _unbounded({"type": "string"}, "x") == ["x: string without maxLength"]
    assert _unbounded(
        {"type": ["array", "null"], "items": {"type": "string", "maxLength": 3}}, "y"
    ) == ["y: array without maxItems"]
    assert _unbounded({"type": "string", "format": "date"}, "z") == []
