"""CSRF tokens for the workspace's forms: itsdangerous-signed, bound to the web session.

Why not Flask-WTF's CSRFProtect: it keeps its secret in Flask's client-side session cookie,
which would add a second, differently managed cookie next to our server-side session and tie
the token to that cookie rather than to the session a logout ends. A token here is the session
id signed with the app's key (itsdangerous is already a dependency): it cannot be made without
the key, it is worthless once its session ends, and it expires with the session's absolute
limit. The login form has no session yet, so it is bound to a random per-browser nonce kept in
a short-lived cookie instead (against login CSRF).
"""

from __future__ import annotations

import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.web.sessions import ABSOLUTE_TIMEOUT

SALT = "steady.workspace.csrf"
FIELD = "csrf_token"
MAX_LENGTH = 512


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def issue(*, secret: str, binding: str) -> str:
    """A token for forms shown to the holder of `binding` (a session id or a login nonce)."""
    return _serializer(secret).dumps(binding)


def is_valid(*, secret: str, binding: str | None, token: str | None) -> bool:
    """True only for a token this app signed for this very binding, within its lifetime."""
    if not binding or not token or len(token) > MAX_LENGTH:
        return False
    try:
        signed = _serializer(secret).loads(token, max_age=int(ABSOLUTE_TIMEOUT.total_seconds()))
    except (BadSignature, SignatureExpired):
        return False
    return isinstance(signed, str) and hmac.compare_digest(signed, binding)
