"""Unknown query parameters are refused on every operation that reads them (API.md Part 2):
a misspelt filter answers 422 naming it, never a silently unfiltered list.

The operations come from the checked-in contract, so a new list is covered as soon as it is
documented.
"""

from __future__ import annotations

import os
import uuid

import pytest
import yaml

from tests.factories import pair
from tests.helpers import assert_invalid_fields

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "openapi.yaml")) as fh:
    SPEC = yaml.safe_load(fh)


def _query_parameters(path: str) -> list[str]:
    operation = SPEC["paths"][path]["get"]
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]


READS_WITH_QUERIES = sorted(
    path
    for path, operations in SPEC["paths"].items()
    if "get" in operations and _query_parameters(path)
)


def _url(path: str) -> str:
    """Any well-formed ids: the query is checked before any object is looked up."""
    names = [p["name"] for p in SPEC["paths"][path].get("parameters", []) if p["in"] == "path"]
    return path.format(**{name: uuid.uuid4() for name in names})


def _is_list(path: str) -> bool:
    content = SPEC["paths"][path]["get"]["responses"]["200"].get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    schema = SPEC["components"]["schemas"].get(ref.rpartition("/")[2], {})
    return {"items", "next_cursor"} <= set(schema.get("properties", {}))


def test_every_list_is_among_them():
    lists = {path for path, operations in SPEC["paths"].items() if "get" in operations}
    lists = {path for path in lists if _is_list(path)}
    assert len(lists) >= 20
    # The one list without parameters: every supported locale fits in one page.
    assert lists - set(READS_WITH_QUERIES) == {"/v1/locales"}


def test_a_list_without_parameters_refuses_any(client):
    response = client.get("/v1/locales?limit=2")
    assert_invalid_fields(response, "limit", location="query")


@pytest.mark.parametrize("path", READS_WITH_QUERIES)
def test_an_unknown_query_parameter_is_refused(client, factory, path):
    partner, _, _ = pair(factory)
    actor = factory.therapist() if path.startswith("/v1/therapist") else partner
    known = _query_parameters(path)[0]
    response = client.get(f"{_url(path)}?bogus=1", headers=actor.headers)
    body = assert_invalid_fields(response, "bogus", location="query")
    assert known not in body["errors"]["query"]
    # Misspelt, a real filter is refused too rather than ignored.
    misspelt = client.get(f"{_url(path)}?{known}x=1", headers=actor.headers)
    assert_invalid_fields(misspelt, f"{known}x", location="query")
