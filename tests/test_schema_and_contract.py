"""The migrations match the models, and the checked-in openapi.yaml matches the code."""

from __future__ import annotations

import os

import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.extensions import api
from api.models import Base

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_migrations_match_the_models(engine):
    # The test database was built by `alembic upgrade head`; autogenerate must find nothing.
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def _generated_spec(app) -> dict:
    with app.app_context():
        return api.spec.to_dict()


def test_openapi_yaml_is_up_to_date(app):
    with open(os.path.join(ROOT, "openapi.yaml")) as fh:
        checked_in = fh.read()
    generated = yaml.dump(_generated_spec(app)) + "\n"  # as `flask openapi print` writes it
    assert checked_in == generated, "regenerate with: make openapi"


def test_openapi_declares_bearer_auth_and_no_catch_all_errors(app):
    spec = _generated_spec(app)
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" not in operation["responses"], (method, path)
            assert operation.get("summary"), (method, path)


def test_public_operations_are_marked_as_such(app):
    paths = _generated_spec(app)["paths"]
    for path in ("/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh"):
        assert paths[path]["post"]["security"] == []
    assert "security" not in paths["/v1/me"]["get"]
