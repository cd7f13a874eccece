"""The sign-in rate limits, shared by every way of signing in with a password.

`POST /v1/auth/login` and the therapist workspace's login form count against the same buckets
(shared limits with one scope each, keyed alike), so switching from one to the other buys an
attacker no extra guesses.
"""

from __future__ import annotations

from flask import request

from api.extensions import limiter

FAILED_LOGINS_PER_EMAIL = "10 per 15 minutes"
# Many phones share a carrier address, hence the far higher count per IP.
FAILED_LOGINS_PER_IP = "100 per 15 minutes"


def login_email_key() -> str:
    """The email being signed in to, from a JSON body (the API) or a form (the workspace)."""
    body = request.get_json(silent=True) if request.is_json else None
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    if not isinstance(email, str):
        return "login-email:"
    # The key runs before the body is validated; Redis keys are UTF-8, which a lone surrogate
    # has no form in, so it is escaped here rather than failing the request with a 500.
    key = email.strip().lower()[:254].encode("utf-8", "backslashreplace").decode("utf-8")
    return f"login-email:{key}"


def failed_login(response) -> bool:
    """Only failures count: a sign-in that was refused for its credentials answers 401."""
    return response.status_code == 401


def login_rate_limits(func):
    """Decorates a sign-in view: at most 10 failures per email and 100 per IP in 15 minutes,
    then 429 for that email / IP until the window passes."""
    func = limiter.shared_limit(
        FAILED_LOGINS_PER_IP, scope="login-ip", deduct_when=failed_login
    )(func)
    return limiter.shared_limit(
        FAILED_LOGINS_PER_EMAIL,
        scope="login-email",
        key_func=login_email_key,
        deduct_when=failed_login,
    )(func)
