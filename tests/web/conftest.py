"""Signing in to the workspace through its own form, as a browser would."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(response) -> str:
    match = TOKEN_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def sign_in(client, user, password: str = PASSWORD, next_: str | None = None):
    """Opens the form (which sets its nonce cookie) and posts it; returns the POST's answer."""
    form = client.get("/therapist/login")
    assert form.status_code == 200
    query = f"?next={next_}" if next_ else ""
    return client.post(
        f"/therapist/login{query}",
        data={"csrf_token": csrf_token(form), "email": user.email, "password": password},
    )


def signed_in(client, user):
    response = sign_in(client, user)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def therapist(factory):
    return factory.therapist(display_name="Dr. Rivera", timezone="Europe/Paris")
