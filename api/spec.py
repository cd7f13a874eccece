"""Conventions declared once for the whole of openapi.yaml, as an apispec plugin.

Views mark what they are (`CONDITIONAL`); the plugin writes what that means into every
operation so marked, instead of each route repeating it.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from apispec import BasePlugin

# A couple-scoped GET answering with an ETag and 304 (see api.conditional).
CONDITIONAL = "x-steady-conditional"

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


class ContractPlugin(BasePlugin):
    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and operation.pop(CONDITIONAL, False):
                _conditional(operation)


def _response(operation: dict[str, Any], code: int) -> dict[str, Any]:
    responses = operation.setdefault("responses", {})
    # Status codes are still the routes' integers here; apispec turns them into strings.
    return responses.get(code) or responses.setdefault(str(code), {})


def _conditional(operation: dict[str, Any]) -> None:
    # Copies: a dict shared between operations would be written out as a YAML anchor.
    operation.setdefault("parameters", []).append(deepcopy(_IF_NONE_MATCH))
    _response(operation, 200).setdefault("headers", {})["ETag"] = deepcopy(_ETAG)
    operation["responses"][304] = {"description": "Not Modified: your copy still holds."}
    if 422 not in operation["responses"] and "422" not in operation["responses"]:
        operation["responses"][422] = {
            "description": "Unprocessable Entity",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
