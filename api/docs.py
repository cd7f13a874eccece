"""/docs: Swagger UI served by Steady itself, from the pinned `flask-swagger-ui` package's
copy of the Swagger UI distribution, so the page loads with no request leaving the host."""

from __future__ import annotations

import os

import flask_swagger_ui
from flask import Blueprint, Flask, abort, send_from_directory

ASSETS_URL = "/docs/assets/"
ASSETS_DIR = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
# The page's files, each fetched from ASSETS_URL by the page flask-smorest renders.
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")
SWAGGER_UI_CONFIG = {
    # Swagger UI would otherwise send the whole document to an online validator.
    "validatorUrl": None,
}

blp = Blueprint("docs_assets", __name__)


@blp.get(f"{ASSETS_URL}<path:name>")
def asset(name: str):
    if name not in ASSETS:
        abort(404)
    return send_from_directory(ASSETS_DIR, name, max_age=3600)


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
