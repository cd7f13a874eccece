"""Every response the suite sees is checked against what openapi.yaml documents for it.

The test client of every app the tests build validates each JSON answer of a documented
operation and status against its response schema (JSON Schema 2020-12, as OpenAPI 3.1 uses):
every property listed as `required` must be there, with the documented type — null only where
the spec says null — and enums hold. So a field a generated client treats as always present
cannot quietly go missing. (jsonschema-rs comes with schemathesis, which the suite runs too.)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jsonschema_rs
from flask.testing import FlaskClient
from flask_smorest.spec.plugins import FlaskPlugin
from werkzeug.exceptions import HTTPException

_SPEC_URI = "urn:steady:openapi"


class ContractViolation(AssertionError):
    pass


class ContractCheckingClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any):
        response = super().open(*args, **kwargs)
        check_response(self.application, response)
        return response


def _contract(app) -> tuple[dict, jsonschema_rs.Registry, dict]:
    """The app's live spec, a registry resolving its references, and validators built once."""
    contract = app.extensions.get("steady_contract")
    if contract is None:
        from api.extensions import api

        spec = api.spec.to_dict()
        registry = jsonschema_rs.Registry([(_SPEC_URI, spec)])
        contract = app.extensions["steady_contract"] = (spec, registry, {})
    return contract


def _validator(app, path: str, method: str, status: str):
    spec, registry, validators = _contract(app)
    key = (path, method, status)
    if key not in validators:
        operation = spec["paths"].get(path, {}).get(method, {})
        response = operation.get("responses", {}).get(status) or {}
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        validators[key] = (
            jsonschema_rs.Draft202012Validator(
                {
                    "$ref": f"{_SPEC_URI}#{_pointer('paths', path, method, 'responses', status)}"
                    "/content/application~1json/schema"
                },
                registry=registry,
            )
            if schema is not None
            else None
        )
    return validators[key]


def _pointer(*parts: str) -> str:
    """A JSON pointer as a URI fragment (so path templates' braces are percent-encoded)."""
    return "".join(
        "/" + quote(part.replace("~", "~0").replace("/", "~1"), safe="~") for part in parts
    )


def check_response(app, response) -> None:
    request = getattr(response, "request", None)
    if request is None or response.mimetype != "application/json":
        return
    try:
        rule, _ = app.url_map.bind("localhost").match(
            request.path, method=request.method, return_rule=True
        )
    except HTTPException:
        return
    path = FlaskPlugin.flaskpath2openapi(rule.rule)
    validator = _validator(app, path, request.method.lower(), str(response.status_code))
    if validator is None:
        return
    first = next(iter(validator.iter_errors(response.get_json())), None)
    if first is not None:
        where = "/".join(str(p) for p in first.instance_path) or "(the body)"
        raise ContractViolation(
            f"{request.method} {request.path} → {response.status_code}: the answer breaks "
            f"openapi.yaml at {where}: {first.message}"
        )
