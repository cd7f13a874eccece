"""Assertions shared by the route tests."""

from __future__ import annotations


def assert_error(response, status: int, reason: str) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    body = response.get_json()
    assert body["reason"] == reason, body
    assert body["code"] == status
    return body


def assert_invalid_fields(response, *fields: str, location: str = "json") -> dict:
    """A 422 naming each of `fields` under `errors[location]`."""
    body = assert_error(response, 422, "validation_error")
    named = body["errors"][location]
    for name in fields:
        assert name in named, (name, named)
    return body


def all_prompts(client, actor, query=""):
    """Every page of `GET /v1/prompts?{query}` (the library alone is longer than a page)."""
    items, cursor = [], None
    while True:
        url = f"/v1/prompts?limit=100&{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=actor.headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items
